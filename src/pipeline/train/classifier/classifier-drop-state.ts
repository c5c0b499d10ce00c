// Exact resume for a classifier with dropout / drop-path: each SeededDrop layer draws its masks from (seed,
// number of training calls so far), and that count lives only in the layer object, so a resumed model is
// told how many training calls came before. One training call per optimiser step (classifierTrainStep).
import type * as tf from '@tensorflow/tfjs';
import { SeededDrop } from '../../../models/components/layers-dropout.js';

/** Sets every SeededDrop's call count to `steps`; returns how many layers were set. */
export function restoreDropCounters(model: tf.LayersModel, steps: number): number {
  let n = 0;
  for (const layer of model.layers) {
    if (!(layer instanceof SeededDrop)) continue;
    // The counter is private to the layer (no setter yet); its name is pinned by this module's test.
    (layer as unknown as { calls: number }).calls = steps;
    n++;
  }
  return n;
}
