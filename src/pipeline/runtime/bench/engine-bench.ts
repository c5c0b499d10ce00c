// The fixed engine benchmark: operator rates, the reference U-Net's training step and inference batch, and the
// submodel hooks, on each backend asked for; plus the PyTorch twin when python3 has torch. Medians after warm-up.
import os from 'node:os';
import * as tf from '@tensorflow/tfjs';
import { type BackendRequest, type RuntimeInfo, initRuntime } from '../backend.js';
import { type OpBench, opBench } from './op-bench.js';
import { type PytorchBench, findTorchPython, runPytorchUnet } from './pytorch-reference.js';
import { UNET_INPUT, UNET_PARAMS, createUnetTrainer, referenceUnetForwardFlops } from './reference-unet.js';
import { SUBMODEL_BENCH_HOOKS, type SubmodelBenchHook } from './submodel-hooks.js';
import { median, timeIt } from './timing.js';

export interface EngineBenchOptions {
  backends: Exclude<BackendRequest, 'auto'>[];
  threads: number;
  /** Timed repetitions of the U-Net step and inference (after `warmup` untimed ones). */
  reps: number;
  warmup: number;
  /** Wall-time budget per operator rate. */
  opBudgetMs: number;
  /** false skips the PyTorch twin even when torch is installed. */
  pytorch: boolean;
  seed: number;
  hooks?: SubmodelBenchHook[];
  /** The U-Net batch shape; the fixed benchmark uses UNET_INPUT (tests pass something tiny). */
  unetInput?: [number, number, number, number];
  onProgress?: (message: string) => void;
}

export interface BackendBench {
  threads: number;
  matmulGflops: number;
  matmulGflopsCpu: number;
  convGflops: number;
  convGflopsCpu: number;
  convBackpropFilterGflops: number | null;
  convBackpropInputGflops: number | null;
  convBackpropFilterGflopsCpu: number | null;
  convBackpropInputGflopsCpu: number | null;
  unetTrainStepMs: number | null;
  unetTrainStepCpuMs: number | null;
  unetInferMs: number | null;
  unetInferCpuMs: number | null;
  submodels: Record<string, { trainStepMs: number; inferMs: number } | { skipped: string }>;
  /** What was not measured on this backend, and why. */
  skipped: string[];
  /** The GPU behind webgpu, and whether it is a software one (then the figures only show that it runs). */
  adapter?: { name: string; vendor: string; software: boolean };
  /** How to read these figures (e.g. reduced repetitions on a software adapter). */
  notes: string[];
}

export interface EngineBenchResult {
  unet: { input: number[]; params: number; forwardGflop: number };
  backends: Record<string, BackendBench>;
  unavailable: Record<string, string>;
  pytorch: PytorchSummary;
  /** tfjs time / PyTorch time, per backend, from the same run (wall and CPU medians). */
  ratioToPytorch: Record<string, { trainStep: number; trainStepCpu: number; infer: number; inferCpu: number }>;
  runtime: RuntimeInfo[];
}

export type PytorchSummary = { skipped: string } | ({ skipped?: undefined } & PytorchBench);

/**
 * PyTorch's thread count for the twin run: the one asked for, or with --threads 0 ("one per core") the count the
 * tfjs backends resolved it to, so that the comparison is like for like. torch.set_num_threads refuses 0 (the
 * "set_num_threads expects a positive integer" that once emptied doctor's ratio table).
 */
export function pytorchThreads(requested: number, runtime: readonly Pick<RuntimeInfo, 'threads'>[]): number {
  if (requested > 0) return requested;
  const resolved = runtime.map((r) => r.threads).find((t) => t > 0);
  return resolved ?? os.availableParallelism();
}

/** The pure-JS cpu backend needs minutes for one U-Net step (its conv gradients run near 0.01 GFLOP/s). */
const CPU_SKIP = 'the pure-JS cpu backend is too slow for this part (minutes per U-Net step)';
/**
 * A software WebGPU adapter (Mesa lavapipe: ~0.5 GFLOP/s) takes ~10 s per reference U-Net forward: its figures
 * show that the path runs, not what a GPU does, so it gets one warm-up and two timed repetitions.
 */
export const SOFTWARE_ADAPTER_REPS = { reps: 2, warmup: 1 };

export async function runEngineBench(opts: EngineBenchOptions): Promise<EngineBenchResult> {
  const say = opts.onProgress ?? (() => undefined);
  const backends: Record<string, BackendBench> = {};
  const unavailable: Record<string, string> = {};
  const runtime: RuntimeInfo[] = [];
  for (const name of opts.backends) {
    let info: RuntimeInfo;
    try {
      info = await initRuntime({ backend: name, threads: opts.threads });
    } catch (e) {
      unavailable[name] = (e as Error).message;
      continue;
    }
    runtime.push(info);
    say(`benchmarking ${info.backend} (${info.threads} thread${info.threads === 1 ? '' : 's'})`);
    backends[info.backend] = await benchBackend(info, opts, say);
  }
  let pytorch: PytorchSummary;
  if (!opts.pytorch) {
    pytorch = { skipped: 'disabled (--no-pytorch)' };
  } else {
    const found = findTorchPython();
    if ('reason' in found) {
      pytorch = { skipped: found.reason };
    } else {
      const threads = pytorchThreads(opts.threads, runtime);
      say(`running the PyTorch twin with ${found.python} (${threads} thread${threads === 1 ? '' : 's'})`);
      const out = runPytorchUnet({ python: found.python, threads, reps: opts.reps, warmup: opts.warmup });
      pytorch = out.ok ? out.result : { skipped: out.reason };
    }
  }
  const ratioToPytorch: EngineBenchResult['ratioToPytorch'] = {};
  if (pytorch.skipped === undefined) {
    for (const [name, b] of Object.entries(backends)) {
      if (b.unetTrainStepMs === null || b.unetInferMs === null || b.unetTrainStepCpuMs === null || b.unetInferCpuMs === null) continue;
      ratioToPytorch[name] = {
        trainStep: round2(b.unetTrainStepMs / pytorch.unetTrainStepMs),
        trainStepCpu: round2(b.unetTrainStepCpuMs / pytorch.unetTrainStepCpuMs),
        infer: round2(b.unetInferMs / pytorch.unetInferMs),
        inferCpu: round2(b.unetInferCpuMs / pytorch.unetInferCpuMs),
      };
    }
  }
  return {
    unet: {
      input: [...(opts.unetInput ?? UNET_INPUT)],
      params: UNET_PARAMS,
      forwardGflop: round2(referenceUnetForwardFlops(...(opts.unetInput ?? UNET_INPUT).slice(0, 3)) / 1e9),
    },
    backends,
    unavailable,
    pytorch,
    ratioToPytorch,
    runtime,
  };
}

async function benchBackend(info: RuntimeInfo, opts: EngineBenchOptions, say: (m: string) => void): Promise<BackendBench> {
  const slow = info.backend === 'cpu';
  const skipped: string[] = [];
  const notes: string[] = [];
  let reps = { reps: opts.reps, warmup: opts.warmup };
  if (info.adapter?.software) {
    reps = { reps: Math.min(opts.reps, SOFTWARE_ADAPTER_REPS.reps), warmup: Math.min(opts.warmup, SOFTWARE_ADAPTER_REPS.warmup) };
    notes.push(
      `software adapter (${info.adapter.name}): a CPU emulating a GPU, so these are correctness-level figures, not GPU speed; ` +
        `${reps.warmup} warm-up + ${reps.reps} timed repetitions`,
    );
  }
  const ops: OpBench = await opBench(opts.opBudgetMs, !slow, opts.seed);
  if (slow) skipped.push(`conv gradients and the U-Net: ${CPU_SKIP}`);
  const result: BackendBench = {
    threads: info.threads,
    matmulGflops: ops.matmul.gflops,
    matmulGflopsCpu: ops.matmul.gflopsCpu,
    convGflops: ops.conv.gflops,
    convGflopsCpu: ops.conv.gflopsCpu,
    convBackpropFilterGflops: ops.convBackpropFilter?.gflops ?? null,
    convBackpropInputGflops: ops.convBackpropInput?.gflops ?? null,
    convBackpropFilterGflopsCpu: ops.convBackpropFilter?.gflopsCpu ?? null,
    convBackpropInputGflopsCpu: ops.convBackpropInput?.gflopsCpu ?? null,
    unetTrainStepMs: null,
    unetTrainStepCpuMs: null,
    unetInferMs: null,
    unetInferCpuMs: null,
    submodels: {},
    skipped,
    ...(info.adapter ? { adapter: { name: info.adapter.name, vendor: info.adapter.vendor, software: info.adapter.software } } : {}),
    notes,
  };
  if (!slow) {
    const shape = opts.unetInput ?? UNET_INPUT;
    say(`  reference U-Net ${shape.join('x')}: ${reps.warmup} warm-up + ${reps.reps} timed steps`);
    const trainer = createUnetTrainer(shape);
    try {
      const step = await timeIt(() => trainer.step(), reps.reps, reps.warmup);
      const infer = await timeIt(() => trainer.infer(), reps.reps, reps.warmup);
      result.unetTrainStepMs = round2(step.wallMs);
      result.unetTrainStepCpuMs = round2(step.cpuMs);
      result.unetInferMs = round2(infer.wallMs);
      result.unetInferCpuMs = round2(infer.cpuMs);
    } finally {
      trainer.dispose();
    }
  }
  for (const hook of opts.hooks ?? SUBMODEL_BENCH_HOOKS) {
    if (slow) {
      result.submodels[hook.name] = { skipped: CPU_SKIP };
      continue;
    }
    say(`  submodel ${hook.name}`);
    result.submodels[hook.name] = await benchHook(hook, { ...opts, ...reps });
  }
  return result;
}

async function benchHook(hook: SubmodelBenchHook, opts: EngineBenchOptions): Promise<{ trainStepMs: number; inferMs: number }> {
  const c = await hook.create(opts.seed);
  try {
    const timeAsync = async (fn: () => unknown): Promise<number> => {
      for (let i = 0; i < opts.warmup; i++) await fn();
      const times: number[] = [];
      for (let i = 0; i < opts.reps; i++) {
        const t0 = performance.now();
        await fn();
        times.push(performance.now() - t0);
      }
      return round2(median(times));
    };
    const before = tf.memory().numTensors;
    const trainStepMs = await timeAsync(() => c.trainStep());
    const inferMs = await timeAsync(() => c.inferBatch());
    if (tf.memory().numTensors > before) throw new Error(`submodel ${hook.name} leaks tensors in its benchmark case`);
    return { trainStepMs, inferMs };
  } finally {
    c.dispose();
  }
}

function round2(v: number): number {
  return Math.round(v * 100) / 100;
}
