// The training loop shared by every submodel: epochs of batches, learning-rate schedule, divergence stop,
// periodic checkpoints, resume, validation each epoch and best-by-validation tracking. It knows nothing of
// networks or files: the submodel's service supplies the step, the validation and the persistence hooks.
import { MadenetError } from '../core/errors.js';
import { divergedAdvice } from './train-options.js';

export interface LoopState {
  /** Global optimizer steps completed. */
  step: number;
  /** Epochs completed. */
  epoch: number;
  bestScore: number | null;
  bestEpoch: number | null;
  history: EpochRecord[];
  /** Loss sums and step count of the epoch in progress, so that a resumed epoch reports the mean of all its steps. */
  partial?: { sums: Record<string, number>; steps: number };
}

export interface EpochRecord {
  epoch: number;
  meanLoss: number;
  losses: Record<string, number>;
  validation: Record<string, number | null> | null;
  score: number | null;
  seconds: number;
  imagesPerSecond: number;
}

export interface Validation {
  /** Higher is better; null when it could not be measured (e.g. a split with one class). */
  score: number | null;
  metrics: Record<string, number | null>;
}

/** What onProgress reports after every optimiser step. */
export interface TrainProgress {
  step: number;
  totalSteps: number;
  /** 0-based epoch of this step, of `epochs`. */
  epoch: number;
  epochs: number;
  loss: number;
  imagesPerSecond: number;
}

export interface StepContext {
  step: number;
  epoch: number;
  lr: number;
}

export interface TrainLoopOptions<B> {
  epochs: number;
  stepsPerEpoch: number;
  /** Batches of one epoch; must be deterministic in the epoch number so that resume replays the same order. */
  batches: (epoch: number) => AsyncIterable<B>;
  batchSize: (batch: B) => number;
  /** One optimizer step; returns the scalar losses already read back ('loss' is the total). */
  step: (batch: B, ctx: StepContext) => Promise<Record<string, number>>;
  lr: (step: number) => number;
  validate?: (epoch: number) => Promise<Validation>;
  /** Called when validation improves (or every epoch without validation): snapshot the weights to keep. */
  onBest?: (state: LoopState) => Promise<void>;
  checkpointEvery?: number;
  saveCheckpoint?: (state: LoopState) => Promise<void>;
  /** State loaded from a checkpoint; the model weights must already be restored by the caller. */
  resume?: LoopState;
  onProgress?: (info: TrainProgress) => void;
  onEpoch?: (record: EpochRecord) => void;
}

export function initialLoopState(): LoopState {
  return { step: 0, epoch: 0, bestScore: null, bestEpoch: null, history: [] };
}

export async function runTrainLoop<B>(opts: TrainLoopOptions<B>): Promise<LoopState> {
  const state: LoopState = structuredClone(opts.resume ?? initialLoopState());
  const totalSteps = opts.epochs * opts.stepsPerEpoch;
  let lastCheckpointStep = state.step;

  for (let epoch = state.epoch; epoch < opts.epochs; epoch++) {
    const started = performance.now();
    const skip = state.step - epoch * opts.stepsPerEpoch;
    let seen = 0;
    let images = 0;
    const carried = skip > 0 ? state.partial : undefined;
    let stepsThisEpoch = carried?.steps ?? 0;
    const sums: Record<string, number> = { ...(carried?.sums ?? {}) };
    for await (const batch of opts.batches(epoch)) {
      if (seen++ < skip) continue; // replaying a partly-done epoch after resume
      if (state.step >= (epoch + 1) * opts.stepsPerEpoch) break;
      const lr = opts.lr(state.step);
      const losses = await opts.step(batch, { step: state.step, epoch, lr });
      const total = losses.loss;
      if (total === undefined || !Number.isFinite(total)) {
        throw new MadenetError(
          'E_DIVERGED',
          `Training diverged at step ${state.step} (epoch ${epoch + 1}): loss is ${String(total)}.`,
          { suggestions: divergedAdvice(lr) },
        );
      }
      for (const [k, v] of Object.entries(losses)) sums[k] = (sums[k] ?? 0) + v;
      state.step++;
      stepsThisEpoch++;
      state.partial = { sums: { ...sums }, steps: stepsThisEpoch };
      images += opts.batchSize(batch);
      const secs = (performance.now() - started) / 1000;
      opts.onProgress?.({ step: state.step, totalSteps, epoch, epochs: opts.epochs, loss: total, imagesPerSecond: images / Math.max(secs, 1e-9) });
      if (opts.checkpointEvery && opts.saveCheckpoint && state.step - lastCheckpointStep >= opts.checkpointEvery) {
        await opts.saveCheckpoint(state);
        lastCheckpointStep = state.step;
      }
    }
    const validation = opts.validate ? await opts.validate(epoch) : null;
    const seconds = (performance.now() - started) / 1000;
    const losses = Object.fromEntries(Object.entries(sums).map(([k, v]) => [k, v / Math.max(stepsThisEpoch, 1)]));
    const record: EpochRecord = {
      epoch: epoch + 1,
      meanLoss: losses.loss ?? Number.NaN,
      losses,
      validation: validation?.metrics ?? null,
      score: validation?.score ?? null,
      seconds,
      imagesPerSecond: images / Math.max(seconds, 1e-9),
    };
    state.history.push(record);
    state.epoch = epoch + 1;
    delete state.partial;
    opts.onEpoch?.(record);
    const improved =
      validation === null ||
      state.bestScore === null ||
      (validation.score !== null && validation.score > state.bestScore);
    if (improved) {
      state.bestScore = validation?.score ?? null;
      state.bestEpoch = epoch + 1;
      await opts.onBest?.(state);
    }
    if (opts.saveCheckpoint && opts.checkpointEvery) {
      await opts.saveCheckpoint(state);
      lastCheckpointStep = state.step;
    }
  }
  return state;
}
