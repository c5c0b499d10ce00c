// The one training workflow every submodel trainer runs: runtime -> the submodel's session (its data, split,
// plan, networks, optimiser, batches) -> TrainingRun (resume, loop with validation, best epoch, checkpoints, NaN
// stop, progress) -> the best epoch's weights back into the live networks -> the artifact -> the result. A
// submodel fills in only what differs (TrainSession); the order of its own seeded draws is its own, unchanged.
import type * as tf from '@tensorflow/tfjs';
import { resolve } from 'node:path';
import { writeArtifact, type ArtifactRef } from '../artifacts/index.js';
import { loadDataset } from '../io/dataset.js';
import { tileDataset } from '../io/tiles.js';
import type { CandidateEvaluation } from '../perfmap/evaluate-candidates.js';
import { planValidation } from '../perfmap/validation-set.js';
import type { RuntimeInfo } from '../runtime/backend.js';
import type { LoopState } from './loop.js';
import { BestEpoch, type BestEpochExtra } from './train-best-epoch.js';
import { setWeightsFromArtifacts } from './train-checkpoint.js';
import type { DetectorValidation } from './train-detector-validation.js';
import { checkTrainNumbers, DEFAULT_CHECKPOINT_EVERY, DEFAULT_VAL_FRACTION } from './train-options.js';
import { startRuntime, TrainingRun, type RunLoopOptions } from './train-run.js';
import type { TrainingRunFields, TrainingRunOptions } from './train-run-types.js';
import { trainNormalsOutside } from './train-split.js';

/** What the session hands over once the best epoch's weights are back in its live networks. */
export interface TrainOutput<R> {
  /** metrics.validation of the artifact (the best epoch's figures). */
  validation: object;
  /** More metrics, after validation/epochs/steps/history (SFAD's featureSpread, LPD's cutPaste). */
  metrics?: Record<string, unknown>;
  /** The artifact's networks (default: the best epoch's weights of the checkpointed ones). */
  models?: Record<string, tf.io.ModelArtifacts>;
  files: Record<string, Buffer | string>;
  parents: Pick<ArtifactRef, 'kind' | 'category' | 'version'>[];
  /** The service's result, from the new version and the fields every training result ends with. */
  result(artifact: { dir: string; version: number }, fields: TrainingRunFields): R;
}

/** One run's submodel-specific part, built by TrainWorkflow.open. X: checkpoint JSON kept beside the best epoch. */
export interface TrainSession<B, R, X extends object = object> {
  /** The artifact's config; a --resume must find a checkpoint made with the same. */
  config: object;
  fingerprint: string;
  /** Networks by checkpoint name: checkpointed, restored on --resume, checked for finite weights each step. */
  models: Record<string, tf.LayersModel>;
  optimizer: tf.Optimizer;
  loop: Pick<RunLoopOptions<B, never>, 'epochs' | 'stepsPerEpoch' | 'batches' | 'batchSize' | 'lr' | 'step'>;
  /** The epoch's detector measured as build-perfmap would. */
  validate(): Promise<DetectorValidation>;
  /** Called when an epoch became the best, after its weights were kept (extras measured with it). */
  onBest?(): void;
  /** What a checkpoint carries beside the best epoch (read at every checkpoint). */
  checkpointExtra?(): X;
  /** After the checkpoint series is locked and any --resume restored, before the first step (SFAD's feature bank). */
  beforeLoop?(): Promise<void>;
  /** After --resume restored a checkpoint: its step and extras. */
  restored?(step: number, extra: (BestEpochExtra<CandidateEvaluation> & Partial<X>) | null): void;
  /** After the loop: the best epoch (already in the live networks) into the artifact's contents. */
  finish(best: { weights: Record<string, tf.io.ModelArtifacts>; evaluation: CandidateEvaluation }, state: LoopState): Promise<TrainOutput<R>>;
}

export interface OpenContext {
  runtime: RuntimeInfo;
  /** The run's warnings (returned in the result). */
  warnings: string[];
  /** Registers a clean-up run when the workflow ends, whatever happens, last registered first. */
  defer(dispose: () => void): void;
}

export interface TrainWorkflow<B, R, X extends object = object> {
  kind: string;
  category: string;
  /** Artifact root: <out>/<kind>/<category>/vNNNN, checkpoints under <out>/checkpoints/<kind>/<category>. */
  out: string;
  seed: number;
  checkpointEvery: number;
  options: TrainingRunOptions;
  /** Everything before the loop, in the submodel's own order (data, split, config, networks, optimiser). */
  open(ctx: OpenContext): Promise<TrainSession<B, R, X>>;
}

/** The numbers every trainer checks before any I/O, with the shared defaults. */
export function trainNumbers(opts: TrainingRunOptions, resolved: { epochs: number; batchSize: number; lr: number }) {
  const valFraction = opts.valFraction ?? DEFAULT_VAL_FRACTION;
  const checkpointEvery = opts.checkpointEvery ?? DEFAULT_CHECKPOINT_EVERY;
  checkTrainNumbers({ ...resolved, valFraction, checkpointEvery });
  return { ...resolved, valFraction, checkpointEvery };
}

/** The category's dataset, build-perfmap's validation plan for it, and the train normals outside that plan. */
export async function trainSplit(opts: Pick<TrainingRunOptions, 'data' | 'tile'> & { category: string; seed: number }, valFraction: number) {
  // With --tile the category's images are replaced by their overlapping tiles (validation too).
  const dataset = await tileDataset(await loadDataset(opts.data, { categories: [opts.category] }), opts.category, opts.tile, opts.seed);
  const plan = planValidation(dataset, opts.category, { valFraction, seed: opts.seed });
  const train = trainNormalsOutside(dataset, opts.category, plan, valFraction, opts.seed);
  return { dataset, plan, train };
}

/** Runs one training to its artifact; see the file comment. */
export async function runTraining<B, R, X extends object>(wf: TrainWorkflow<B, R, X>): Promise<R> {
  const started = performance.now();
  const runtime = await startRuntime(wf.options);
  const warnings: string[] = [];
  const cleanups: (() => void)[] = [];
  // The run holds its checkpoint series' lock from restore() on; released whatever happens.
  let run: TrainingRun<BestEpochExtra<CandidateEvaluation> & X> | null = null;
  try {
    const session = await wf.open({ runtime, warnings, defer: (d) => cleanups.push(d) });
    const out = resolve(wf.out);
    const target = { root: out, kind: wf.kind, category: wf.category, config: session.config, seed: wf.seed, runtime };
    run = new TrainingRun(target, { models: session.models, optimizer: session.optimizer, checkpointEvery: wf.checkpointEvery, started, warnings, options: wf.options });
    const { state, best } = await trainLoop(run, session, wf.options.resume);
    // The artifact (and any preview) shows the saved (best) weights, not the last step's.
    for (const [name, model] of Object.entries(session.models)) setWeightsFromArtifacts(model, best.weights[name] as tf.io.ModelArtifacts, `best ${name} snapshot`);
    const output = await session.finish(best, state);
    const ref = await writeArtifact({
      // --resume of a finished run gives the same bytes again: keep the version it made, write no copy.
      reuseIdentical: wf.options.resume === true,
      root: out,
      kind: wf.kind,
      category: wf.category,
      config: session.config,
      seed: wf.seed,
      datasetFingerprint: session.fingerprint,
      runtime,
      metrics: { validation: output.validation, epochs: state.epoch, steps: state.step, history: state.history, ...output.metrics },
      parents: output.parents,
      models: output.models ?? best.weights,
      files: output.files,
    });
    return output.result({ dir: ref.dir, version: ref.version }, run.resultFields(state));
  } finally {
    await run?.dispose();
    for (const dispose of cleanups.reverse()) dispose();
  }
}

/** Restore (with --resume), then the epochs, keeping the best one by validation. */
async function trainLoop<B, R, X extends object>(run: TrainingRun<BestEpochExtra<CandidateEvaluation> & X>, session: TrainSession<B, R, X>, resume: boolean | undefined) {
  const best = new BestEpoch<CandidateEvaluation>();
  const restored = await run.restore(resume, best);
  if (restored) session.restored?.(restored.loop.step, restored.extra);
  await session.beforeLoop?.();
  const state = await run.loop({
    ...session.loop,
    validate: async () => {
      const v = await session.validate();
      best.measured(v.evaluation);
      return v.validation;
    },
    onBest: async () => {
      await best.keep(session.models);
      session.onBest?.();
    },
    checkpoint: () => {
      const kept = best.checkpoint();
      return { snapshots: kept.snapshots, extra: { ...kept.extra, ...session.checkpointExtra?.() } as BestEpochExtra<CandidateEvaluation> & X };
    },
  });
  return { state, best: best.chosen('Training') };
}
