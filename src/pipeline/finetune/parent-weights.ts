// The parent's saved weights into networks a fine-tune adapter has just built the way the trainer built them.
import type * as tf from '@tensorflow/tfjs';
import { setWeightsFromArtifacts } from '../train/train-checkpoint.js';
import type { FinetuneParent } from './adapter.js';

/** Loads each named network's weights in the given order; on any failure disposes the networks and rethrows. */
export async function loadParentWeights(parent: FinetuneParent, models: Record<string, tf.LayersModel>, dispose: () => void): Promise<void> {
  try {
    for (const [name, model] of Object.entries(models)) setWeightsFromArtifacts(model, await parent.artifact.modelArtifacts(name), `${parent.artifact.dir} ${name}`);
  } catch (err) {
    dispose();
    throw err;
  }
}
