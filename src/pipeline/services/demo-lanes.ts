// The demo's parallel lanes: the training and fine-tuning steps of different categories (and the pre-classifier)
// do not depend on one another, so on a multi-core machine they run side by side in child processes, each with its
// own TensorFlow.js runtime and a share of the threads. Two 1-thread wasm lanes beat one 2-thread process: every
// small op of a 2-thread run pays a thread-pool round trip (README, demo section), and the weights are the same bits
// with 1 or 2 threads, so the results do not change. Each lane runs one step at a time; steps wait for a free lane.
import { fork, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { MadenetError, type ErrorCode } from '../core/errors.js';
import type { BackendRequest, RuntimeInfo } from '../runtime/backend.js';
import type { TrainProgress } from '../train/loop.js';
import { finetune } from './finetune.js';
import { finetuneClassifier } from './finetune-classifier.js';
import { trainClassifier } from './train-classifier.js';
import { trainLpd } from './train-lpd.js';
import { trainSfad } from './train-sfad.js';
import { trainSrad } from './train-srad.js';

/** The services a lane runs: each takes one options object (with an optional onProgress) and returns plain data. */
export const LANE_SERVICES = { trainSrad, trainLpd, trainSfad, finetune, trainClassifier, finetuneClassifier } as const;
export type LaneService = keyof typeof LANE_SERVICES;
export type LaneOptions<K extends LaneService> = Parameters<(typeof LANE_SERVICES)[K]>[0];
export type LaneResult<K extends LaneService> = Awaited<ReturnType<(typeof LANE_SERVICES)[K]>>;

/** Parent -> child: run one service. */
export interface LaneRequest {
  id: number;
  service: LaneService;
  options: Record<string, unknown>;
}

/** Child -> parent: progress of a request, its outcome, and the child's CPU seconds so far. */
export type LaneOk = { id: number; ok: true; result: unknown; cpuSeconds: number; processCpuSeconds: number };
export type LaneMessage =
  | { id: number; progress: TrainProgress }
  | LaneOk
  | { id: number; ok: false; error: { code: ErrorCode | null; message: string; suggestions: string[]; stack?: string }; cpuSeconds: number; processCpuSeconds: number };

/** How many lanes and threads per lane a demo uses. */
export interface LanePlan {
  lanes: number;
  threadsPerLane: number;
}

/**
 * Lanes only on wasm (the cpu backend is single-threaded and slow anyway; native and GPU backends share one
 * device, where processes would compete for it): one lane per thread the run was given, at most one per job,
 * 1-thread lanes unless threads are left over. `requested` (tests) overrides the count; 1 keeps everything in-process.
 */
export function planLanes(runtime: Pick<RuntimeInfo, 'backend' | 'threads'>, jobs: number, requested?: number): LanePlan {
  if (requested !== undefined && (!Number.isInteger(requested) || requested < 1)) {
    throw new MadenetError('E_USAGE', `Demo lanes: ${requested}; expected a positive integer (1 runs every step in this process).`);
  }
  const auto = runtime.backend === 'wasm' ? Math.min(runtime.threads, jobs) : 1;
  const lanes = Math.max(1, Math.min(requested ?? auto, Math.max(jobs, 1)));
  return { lanes, threadsPerLane: Math.max(1, Math.floor(runtime.threads / lanes)) };
}

/** The compiled child entry beside this module; null when running from TypeScript sources (tests), which plain node cannot fork. */
export function laneChildScript(): string | null {
  const url = new URL('./demo-lane-child.js', import.meta.url);
  if (!import.meta.url.endsWith('.js')) return null;
  const path = fileURLToPath(url);
  return existsSync(path) ? path : null;
}

interface Pending {
  resolve: (m: LaneOk) => void;
  reject: (e: Error) => void;
  onProgress: ((p: TrainProgress) => void) | undefined;
}

class Lane {
  readonly child: ChildProcess;
  readonly index: number;
  readonly pending = new Map<number, Pending>();
  /** The child's own CPU seconds (user + system, all its threads) at its last reply. */
  cpuSeconds = 0;
  private exited: Error | null = null;

  constructor(script: string, index: number) {
    this.index = index;
    // The child's stdout goes to our stderr: with --json, stdout carries exactly one JSON document.
    this.child = fork(script, [], { serialization: 'advanced', stdio: ['ignore', 2, 'inherit', 'ipc'], env: { ...process.env, MADENET_DEMO_LANE: String(index) } });
    this.child.on('message', (m: LaneMessage) => this.receive(m));
    this.child.on('exit', (code, signal) => {
      this.exited = new MadenetError('E_INTERNAL', `Demo lane ${index} (pid ${this.child.pid}) exited (${signal ?? `status ${code}`}) with ${this.pending.size} step(s) unfinished; its stderr above says why.`);
      for (const p of this.pending.values()) p.reject(this.exited);
      this.pending.clear();
    });
  }

  private receive(m: LaneMessage): void {
    const p = this.pending.get(m.id);
    if (!p) return;
    if ('progress' in m) {
      p.onProgress?.(m.progress);
      return;
    }
    this.cpuSeconds = m.processCpuSeconds;
    this.pending.delete(m.id);
    if (m.ok) p.resolve(m);
    else p.reject(m.error.code ? new MadenetError(m.error.code, m.error.message, { suggestions: m.error.suggestions }) : Object.assign(new Error(m.error.message), { stack: m.error.stack }));
  }

  send(req: LaneRequest, onProgress: Pending['onProgress']): Promise<LaneOk> {
    if (this.exited) return Promise.reject(this.exited);
    return new Promise((resolve, reject) => {
      this.pending.set(req.id, { resolve, reject, onProgress });
      this.child.send(req, (err) => {
        if (err) {
          this.pending.delete(req.id);
          reject(err);
        }
      });
    });
  }
}

export interface LaneStep {
  /** Which lane ran it (1-based). */
  lane: number;
  /** Wall seconds from the lane picking the step up to its reply. */
  seconds: number;
  /** The child's CPU seconds over the step. */
  cpuSeconds: number;
}

/** A pool of lane processes; `run` waits for a free lane (first come, first served). */
export class DemoLanes {
  private readonly lanes: Lane[];
  private readonly free: Lane[];
  private readonly waiting: ((lane: Lane) => void)[] = [];
  private nextId = 1;

  constructor(
    script: string,
    count: number,
    private readonly runtime: { backend: BackendRequest; threads: number },
  ) {
    this.lanes = Array.from({ length: count }, (_, i) => new Lane(script, i + 1));
    this.free = [...this.lanes];
  }

  /** Runs one service in the next free lane; `onStart` fires when a lane picks it up. */
  async run<K extends LaneService>(
    service: K,
    options: LaneOptions<K>,
    hooks: { onStart?: () => void; onProgress?: (p: TrainProgress) => void } = {},
  ): Promise<{ result: LaneResult<K> } & LaneStep> {
    const lane = await this.acquire();
    try {
      hooks.onStart?.();
      // Functions do not cross the process boundary: progress comes back as messages.
      const { onProgress: _dropped, ...plain } = options as LaneOptions<K> & { onProgress?: unknown };
      const t0 = performance.now();
      const reply = await lane.send({ id: this.nextId++, service, options: { ...plain, ...this.runtime } }, hooks.onProgress);
      return { result: reply.result as LaneResult<K>, lane: lane.index, seconds: (performance.now() - t0) / 1000, cpuSeconds: reply.cpuSeconds };
    } finally {
      this.release(lane);
    }
  }

  /** CPU seconds of every lane process so far (as of each one's last reply). */
  cpuSeconds(): number {
    return this.lanes.reduce((a, l) => a + l.cpuSeconds, 0);
  }

  /**
   * Ends the lane processes by disconnecting them: a lane exits at once on that, even mid-step (after a failure
   * elsewhere), through process.exit, so its exit hook releases the locks the step held.
   */
  async close(): Promise<void> {
    const exits = this.lanes.map((lane) =>
      lane.child.exitCode !== null || lane.child.signalCode !== null ? Promise.resolve() : new Promise<void>((done) => lane.child.once('exit', () => done())),
    );
    for (const lane of this.lanes) if (lane.child.connected) lane.child.disconnect();
    await Promise.all(exits);
  }

  private acquire(): Promise<Lane> {
    const lane = this.free.shift();
    if (lane) return Promise.resolve(lane);
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  private release(lane: Lane): void {
    const next = this.waiting.shift();
    if (next) next(lane);
    else this.free.push(lane);
  }
}
