// Exact resume for a classifier with dropout / drop-path: each SeededDrop layer draws its masks from (seed,
// number of training calls so far), and that count lives only in the layer object, so a resumed model is
// told how many training calls came before. One training call per optimiser step (classifierTrainStep).
import type * as tf from '@tensorflow/tfjs';
import { SeededDrop, setSeededCallCounts } from '../../../models/components/layers-dropout.js';

/** Sets every SeededDrop's call count to `steps`; returns how many layers were set. */
export function restoreDropCounters(model: tf.LayersModel, steps: number): number {
  return setSeededCallCounts(model, steps, (layer) => layer instanceof SeededDrop);
}
