// Reading a layer's weights back in a test, to compare two models or a model before and after an update.
import type * as tf from '@tensorflow/tfjs';

/** The first weight of layer `name` (its kernel) as a plain array. */
export function kernelOf(model: tf.LayersModel, name: string): number[] {
  return Array.from(model.getLayer(name).getWeights()[0]!.dataSync());
}
