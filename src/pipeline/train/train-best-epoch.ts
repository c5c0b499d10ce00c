// The best epoch of a run so far: its weights by model name and its validation result V, kept when the loop calls
// onBest and carried through checkpoints as { best: V } plus snapshots, so that a resumed run saves the same epoch.
import type * as tf from '@tensorflow/tfjs';
import { modelArtifactsOf } from '../artifacts/index.js';
import { MadenetError } from '../core/errors.js';
import type { RestoredCheckpoint } from './train-checkpoint.js';
import type { CheckpointExtras } from './train-run.js';

/** The checkpoint JSON of a best epoch (a service may add fields next to it). */
export interface BestEpochExtra<V> {
  best: V | null;
}

export class BestEpoch<V> {
  private weights: Record<string, tf.io.ModelArtifacts> | null = null;
  private evaluation: V | null = null;
  /** The epoch validated last: the loop calls onBest right after validate when it improved. */
  private latest: V | null = null;

  /** Call from validate with the epoch's full result. */
  measured(evaluation: V): void {
    this.latest = evaluation;
  }

  /** Call from onBest: the live models' weights now and the result measured last become the best epoch. */
  async keep(models: Record<string, tf.LayersModel>): Promise<void> {
    const weights: Record<string, tf.io.ModelArtifacts> = {};
    for (const [name, model] of Object.entries(models)) weights[name] = await modelArtifactsOf(model);
    this.keepWeights(weights);
  }

  /** As keep, with weights the caller took itself (a fine-tune adapter's snapshot). */
  keepWeights(weights: Record<string, tf.io.ModelArtifacts>): void {
    this.weights = weights;
    this.evaluation = this.latest;
  }

  /** Takes the best epoch a checkpoint carried (none before the first epoch ended). */
  restore(restored: RestoredCheckpoint<BestEpochExtra<V>>): void {
    this.evaluation = restored.extra?.best ?? null;
    this.weights = Object.keys(restored.snapshots).length > 0 ? restored.snapshots : null;
  }

  checkpoint(): CheckpointExtras<BestEpochExtra<V>> {
    return { snapshots: this.weights ?? undefined, extra: { best: this.evaluation } };
  }

  /** The epoch to save. `what` names the run in the E_INTERNAL raised without one ('Training', 'Fine-tuning'). */
  chosen(what: string): { weights: Record<string, tf.io.ModelArtifacts>; evaluation: V } {
    if (!this.weights || !this.evaluation) throw new MadenetError('E_INTERNAL', `${what} ended without a validated epoch to save.`);
    return { weights: this.weights, evaluation: this.evaluation };
  }
}
