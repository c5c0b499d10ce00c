// Exact resume for LPD's head: each SeededDropout draws its masks from (seed, training calls so far), and that
// count lives only in the layer object, so a resumed model is told how many came before (one per step).
import type * as tf from '@tensorflow/tfjs';
import { setSeededCallCounts } from '../../../../models/components/layers-dropout.js';
import { SeededDropout } from '../model/seeded-dropout.js';

/** Sets every SeededDropout's call count to `steps`; returns how many layers were set. */
export function restoreDropoutCalls(model: tf.LayersModel, steps: number): number {
  return setSeededCallCounts(model, steps, (layer) => layer instanceof SeededDropout);
}
