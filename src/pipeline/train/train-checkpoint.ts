// Training checkpoints with everything an exact resume needs: the live models' weights (batch-norm statistics
// included), the optimizer's slots, the loop state, weight snapshots kept aside (best-by-validation) and a
// small JSON of the caller's own. Built on the artifact store's versioned checkpoints; no training logic.
import * as tf from '@tensorflow/tfjs';
import { loadLatestCheckpoint, modelArtifactsOf, writeCheckpoint, type ArtifactRef } from '../artifacts/index.js';
import { MadenetError } from '../core/errors.js';
import type { LoopState } from './loop.js';
import { OPTIMIZER_BIN, OPTIMIZER_JSON, optimizerStateFiles, restoreOptimizerState } from './train-optimizer-state.js';

const SNAPSHOT_PREFIX = 'snapshot-';

export interface CheckpointTarget {
  /** Artifact root; checkpoints go to <root>/checkpoints/<kind>/<category>/vNNNN. */
  root: string;
  kind: string;
  category: string;
  /** What must match for a resume to be exact (model config, data, schedule); compared on restore. */
  config: unknown;
  seed: number;
  runtime?: unknown;
  /** Checkpoint versions kept (default 2). */
  keep?: number;
}

export interface TrainCheckpointPayload<E> {
  /** Live models by name (safe path segments). */
  models: Record<string, tf.LayersModel>;
  optimizer: tf.Optimizer;
  loop: LoopState;
  /** Weights kept aside, e.g. the best epoch's, by the same names as `models` or others. */
  snapshots?: Record<string, tf.io.ModelArtifacts>;
  extra?: E;
}

interface CheckpointState<E> {
  loop: LoopState;
  extra: E | null;
  snapshots: string[];
}

export async function saveTrainCheckpoint<E>(target: CheckpointTarget, payload: TrainCheckpointPayload<E>): Promise<ArtifactRef> {
  const models: Record<string, tf.io.ModelArtifacts> = {};
  for (const [name, model] of Object.entries(payload.models)) models[name] = await modelArtifactsOf(model);
  for (const [name, artifacts] of Object.entries(payload.snapshots ?? {})) models[`${SNAPSHOT_PREFIX}${name}`] = artifacts;
  const state: CheckpointState<E> = { loop: payload.loop, extra: payload.extra ?? null, snapshots: Object.keys(payload.snapshots ?? {}) };
  return writeCheckpoint({
    root: target.root,
    kind: target.kind,
    category: target.category,
    config: target.config,
    seed: target.seed,
    runtime: target.runtime,
    step: payload.loop.step,
    state,
    keep: target.keep ?? 2,
    models,
    files: await optimizerStateFiles(payload.optimizer),
  });
}

export interface RestoredCheckpoint<E> {
  ref: ArtifactRef;
  loop: LoopState;
  extra: E | null;
  snapshots: Record<string, tf.io.ModelArtifacts>;
}

/**
 * Loads the newest checkpoint into the given live models and fresh optimizer (null when there is none).
 * A checkpoint made with another config is refused with E_RESUME naming the first fields that differ.
 */
export async function restoreTrainCheckpoint<E>(
  target: Pick<CheckpointTarget, 'root' | 'kind' | 'category' | 'config'>,
  into: { models: Record<string, tf.LayersModel>; optimizer: tf.Optimizer },
): Promise<RestoredCheckpoint<E> | null> {
  const ckpt = await loadLatestCheckpoint(target.root, target.kind, target.category);
  if (!ckpt) return null;
  const differ = differingPaths(ckpt.manifest.config, target.config);
  if (differ.length > 0) {
    throw new MadenetError(
      'E_RESUME',
      `Checkpoint ${ckpt.dir} was made with other settings (${differ.slice(0, 6).join(', ')}${differ.length > 6 ? ', ...' : ''} differ); expected the same options as the run it resumes.`,
      { suggestions: ['Run again with the options of the interrupted run, or leave out --resume to start afresh.'] },
    );
  }
  const state = ckpt.manifest.checkpoint?.state as CheckpointState<E> | null | undefined;
  if (!state?.loop) throw new MadenetError('E_ARTIFACT', `Checkpoint ${ckpt.dir} has no loop state; expected one written by saveTrainCheckpoint.`);
  for (const [name, model] of Object.entries(into.models)) setWeightsFromArtifacts(model, await ckpt.modelArtifacts(name), `${ckpt.dir} model ${name}`);
  await restoreOptimizerState(into.optimizer, (await ckpt.readFile(OPTIMIZER_JSON)).toString('utf8'), await ckpt.readFile(OPTIMIZER_BIN), ckpt.dir);
  const snapshots: Record<string, tf.io.ModelArtifacts> = {};
  for (const name of state.snapshots) snapshots[name] = await ckpt.modelArtifacts(`${SNAPSHOT_PREFIX}${name}`);
  return { ref: ckpt.ref, loop: state.loop, extra: state.extra, snapshots };
}

/**
 * Writes saved weights into a live model of the same architecture, in the model's weight order (names are
 * not compared: tfjs renames variables of models built twice in one process). Shapes must agree.
 */
export function setWeightsFromArtifacts(model: tf.LayersModel, artifacts: tf.io.ModelArtifacts, where: string): void {
  const specs = artifacts.weightSpecs ?? [];
  if (specs.length !== model.weights.length) {
    throw new MadenetError('E_ARTIFACT', `${where} has ${specs.length} weight tensors; expected ${model.weights.length} for ${model.name}.`);
  }
  const data = artifacts.weightData === undefined ? new ArrayBuffer(0) : tf.io.CompositeArrayBuffer.join(artifacts.weightData);
  const decoded = tf.io.decodeWeights(data, specs.map((s, i) => ({ ...s, name: `w${i}` })));
  const tensors = specs.map((_, i) => decoded[`w${i}`] as tf.Tensor);
  try {
    model.weights.forEach((w, i) => {
      const t = tensors[i] as tf.Tensor;
      if (t.shape.join('x') !== w.shape.join('x')) {
        throw new MadenetError('E_ARTIFACT', `${where}: weight ${i} (${specs[i]?.name}) has shape [${t.shape.join(', ')}]; expected [${w.shape.join(', ')}] for ${w.name}.`);
      }
    });
    model.setWeights(tensors);
  } finally {
    tf.dispose(tensors);
  }
}

/** Paths (a.b.c) where two JSON values differ; [] when equal. */
export function differingPaths(a: unknown, b: unknown, path = ''): string[] {
  if (a === b) return [];
  const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;
  if (isObj(a) && isObj(b) && Array.isArray(a) === Array.isArray(b)) {
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
    return keys.flatMap((k) => differingPaths(a[k], b[k], path ? `${path}.${k}` : k));
  }
  return [path || '(root)'];
}
