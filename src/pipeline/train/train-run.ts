// One training or fine-tuning run around runTrainLoop, wired the same way for every service: resume-or-fresh start,
// the stop-on-request and finite-weights checks of each step, checkpoints, and the result fields all services share.
// Model maths, batches, validation, the best epoch's contents and the artifact stay with the services.
import type * as tf from '@tensorflow/tfjs';
import { mkdir } from 'node:fs/promises';
import { checkpointDir } from '../artifacts/index.js';
import { acquireLock, RUN_LOCK_FILE, type Release } from '../artifacts/lock.js';
import { initRuntime, type RuntimeInfo } from '../runtime/backend.js';
import { runTrainLoop, type LoopState, type TrainLoopOptions } from './loop.js';
import { restoreTrainCheckpoint, saveTrainCheckpoint, type CheckpointTarget, type RestoredCheckpoint } from './train-checkpoint.js';
import { weightsFinite } from './train-finite.js';
import { divergedWeights, interrupted, withCheckpointHint } from './train-options.js';
import type { TrainingRunFields, TrainingRunOptions } from './train-run-types.js';

/** Where the run's checkpoints go and what a --resume must match; the runtime is reported in the result too. */
export type TrainingRunTarget = Omit<CheckpointTarget, 'runtime'> & { runtime: RuntimeInfo };

export interface TrainingRunSetup {
  /** Live networks by checkpoint name: checkpointed, restored on --resume, checked for finite weights each step. */
  models: Record<string, tf.LayersModel>;
  optimizer: tf.Optimizer;
  checkpointEvery: number;
  /** performance.now() when the service began: the result's seconds count from there. */
  started: number;
  /** The service's own list: a --resume that finds no checkpoint adds its warning here. */
  warnings: string[];
  /** What happens instead when --resume finds no checkpoint, for that warning (default 'training started from step 0'). */
  freshStart?: string;
  options: Pick<TrainingRunOptions, 'signal' | 'onProgress' | 'onEpoch'>;
}

/** What a checkpoint carries besides the live models and the optimiser: weights kept aside and the service's JSON. */
export interface CheckpointExtras<E> {
  snapshots?: Record<string, tf.io.ModelArtifacts>;
  extra: E;
}

/** runTrainLoop's options less what the run supplies; `checkpoint` is read at every checkpoint. */
export type RunLoopOptions<B, E> = Omit<TrainLoopOptions<B>, 'resume' | 'checkpointEvery' | 'saveCheckpoint' | 'onProgress' | 'onEpoch'> & {
  checkpoint: () => CheckpointExtras<E>;
};

/** The runtime a service asked for (auto backend, default threads when not told). */
export async function startRuntime(opts: Pick<TrainingRunOptions, 'backend' | 'threads'>): Promise<RuntimeInfo> {
  return initRuntime({ backend: opts.backend ?? 'auto', threads: opts.threads ?? 0 });
}

/** tfjs's Adam reads its rate on every update, so a schedule is applied by setting it before each step. */
export function setAdamRate(optimizer: tf.Optimizer, lr: number): void {
  (optimizer as unknown as { learningRate: number }).learningRate = lr;
}

export class TrainingRun<E> {
  /** The checkpoint folder (whether or not any is written). */
  readonly checkpointDir: string;
  private resumeState: LoopState | undefined;
  private resumedFrom: TrainingRunFields['resumedFrom'] = null;
  /** Step of the newest checkpoint on disk: what the interruption and divergence advice point to. */
  private lastSaved = 0;
  private stepSeconds = 0;
  private stepImages = 0;
  private releaseLock: Release | null = null;

  constructor(
    private readonly target: TrainingRunTarget,
    private readonly setup: TrainingRunSetup,
  ) {
    this.checkpointDir = checkpointDir(target.root, target.kind, target.category);
  }

  private get checkpointing(): boolean {
    return this.setup.checkpointEvery > 0;
  }

  /**
   * With `resume`: loads the newest checkpoint into the live models, the optimiser and `best` (a BestEpoch), and
   * returns it for the service's own state (dropout counters, extras); null, with a warning, when there is none.
   */
  async restore(resume: boolean | undefined, best?: { restore(restored: RestoredCheckpoint<E>): void }): Promise<RestoredCheckpoint<E> | null> {
    await this.lock();
    if (!resume) return null;
    const restored = await restoreTrainCheckpoint<E>(this.target, { models: this.setup.models, optimizer: this.setup.optimizer });
    if (!restored) {
      this.setup.warnings.push(`--resume found no checkpoint in ${this.checkpointDir}; ${this.setup.freshStart ?? 'training started from step 0'}.`);
      return null;
    }
    this.resumeState = restored.loop;
    this.resumedFrom = { dir: restored.ref.dir, step: restored.loop.step };
    this.lastSaved = restored.loop.step;
    best?.restore(restored);
    return restored;
  }

  /**
   * One run per checkpoint series at a time: a second training of the same kind and category into the same root
   * is refused (E_LOCKED naming the first) instead of dying mid-way or sharing checkpoints. Held until the loop
   * ends or dispose().
   */
  async lock(): Promise<void> {
    if (this.releaseLock) return;
    await mkdir(this.checkpointDir, { recursive: true });
    this.releaseLock = await acquireLock(this.checkpointDir, { file: RUN_LOCK_FILE, command: `training ${this.target.kind} ${this.target.category}` });
  }

  /** Releases the run's lock (services call it in their finally, whatever happened). */
  async dispose(): Promise<void> {
    const release = this.releaseLock;
    this.releaseLock = null;
    await release?.();
  }

  /** runTrainLoop from the restored state (or step 0), with checkpoints, the per-step checks and the timing. */
  async loop<B>(opts: RunLoopOptions<B, E>): Promise<LoopState> {
    const { checkpoint, step, ...rest } = opts;
    await this.lock();
    const { models, optimizer, checkpointEvery, options } = this.setup;
    const live = Object.values(models);
    return runTrainLoop<B>({
      ...rest,
      resume: this.resumeState,
      step: async (batch, ctx) => {
        if (options.signal?.aborted) throw interrupted(ctx.step, this.lastSaved, this.checkpointDir, this.checkpointing);
        const t0 = performance.now();
        try {
          const losses = await step(batch, ctx);
          // The loop stops on a non-finite loss; weights can overflow while the loss still looks finite.
          if (Number.isFinite(losses.loss) && !(await weightsFinite(live))) throw divergedWeights(ctx.step, ctx.epoch, losses.loss, this.lastSaved, ctx.lr);
          return losses;
        } finally {
          this.stepSeconds += (performance.now() - t0) / 1000;
          this.stepImages += opts.batchSize(batch);
        }
      },
      checkpointEvery,
      saveCheckpoint: this.checkpointing
        ? async (s) => {
            await saveTrainCheckpoint<E>(this.target, { models, optimizer, loop: s, ...checkpoint() });
            this.lastSaved = s.step;
          }
        : undefined,
      onProgress: options.onProgress,
      onEpoch: options.onEpoch,
    })
      .catch((err: unknown) => {
        throw withCheckpointHint(err, this.checkpointing ? this.checkpointDir : null);
      })
      // The checkpoint series is done with once the loop ends (the artifact write has the store's own lock).
      .finally(() => this.dispose());
  }

  /** The fields every service's result ends with, for the loop's final state. */
  resultFields(state: LoopState): TrainingRunFields {
    return {
      epochs: state.history,
      steps: state.step,
      seconds: (performance.now() - this.setup.started) / 1000,
      imagesPerSecond: this.stepImages / Math.max(this.stepSeconds, 1e-9),
      resumedFrom: this.resumedFrom,
      checkpoints: this.checkpointing ? this.checkpointDir : null,
      runtime: this.target.runtime,
      warnings: this.setup.warnings,
    };
  }
}
