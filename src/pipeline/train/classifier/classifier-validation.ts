// Validation of the pre-classifier on its held-out train images: accuracy, balanced accuracy (mean per-class
// recall, the score the loop maximises, since classes differ in size) and the confusion matrix.
import * as tf from '@tensorflow/tfjs';
import { classifierProbs } from '../../../models/classifier/predict.js';
import { batches } from '../../io/batch.js';
import { streamSamples } from '../../io/sample-stream.js';
import type { Validation } from '../loop.js';
import { imagesToTensor } from '../tensors.js';
import type { LabeledSample } from './classifier-data.js';

export interface ClassifierValidation {
  images: number;
  accuracy: number | null;
  /** Mean recall over the classes that have validation images. */
  balancedAccuracy: number | null;
  /** Per class (category order): recall, or null without validation images. */
  perClassRecall: (number | null)[];
  /** confusion[true][predicted] counts, category order on both axes. */
  confusion: number[][];
}

/** Pure: the metrics of a confusion matrix. */
export function confusionMetrics(confusion: number[][]): Omit<ClassifierValidation, 'confusion'> {
  const rows = confusion.map((row) => row.reduce((a, b) => a + b, 0));
  const total = rows.reduce((a, b) => a + b, 0);
  const correct = confusion.reduce((s, row, i) => s + (row[i] ?? 0), 0);
  const perClassRecall = confusion.map((row, i) => ((rows[i] as number) > 0 ? (row[i] ?? 0) / (rows[i] as number) : null));
  const known = perClassRecall.filter((r): r is number => r !== null);
  return {
    images: total,
    accuracy: total > 0 ? correct / total : null,
    balancedAccuracy: known.length > 0 ? known.reduce((a, b) => a + b, 0) / known.length : null,
    perClassRecall,
  };
}

/**
 * Softmax rows of the held-out images in their order: [N*numClasses] flat, row i for validation[i]
 * (inference mode). Shared with the classifier fine-tune, which needs per-image confidences.
 */
export async function classifierProbabilities(
  model: tf.LayersModel,
  samples: readonly LabeledSample[],
  opts: { numClasses: number; size: number; batchSize: number },
): Promise<Float32Array> {
  const out = new Float32Array(samples.length * opts.numClasses);
  let offset = 0;
  for await (const batch of batches(streamSamples(samples.map((v) => v.sample), { size: opts.size }), opts.batchSize)) {
    const probs = tf.tidy(() => classifierProbs(model, imagesToTensor(batch.map((d) => d.image))));
    out.set((await probs.data()) as Float32Array, offset * opts.numClasses);
    probs.dispose();
    offset += batch.length;
  }
  return out;
}

export async function validateClassifier(
  model: tf.LayersModel,
  validation: readonly LabeledSample[],
  opts: { numClasses: number; size: number; batchSize: number },
): Promise<{ result: ClassifierValidation; validation: Validation }> {
  const confusion = Array.from({ length: opts.numClasses }, () => new Array<number>(opts.numClasses).fill(0));
  let trueProbSum = 0;
  const p = await classifierProbabilities(model, validation, opts);
  validation.forEach(({ label }, i) => {
    const row = p.subarray(i * opts.numClasses, (i + 1) * opts.numClasses);
    let best = 0;
    for (let k = 1; k < row.length; k++) if ((row[k] as number) > (row[best] as number)) best = k;
    const counts = confusion[label] as number[];
    counts[best] = (counts[best] ?? 0) + 1;
    trueProbSum += row[label] as number;
  });
  const m = confusionMetrics(confusion);
  const result: ClassifierValidation = { ...m, confusion };
  const meanTrueProbability = m.images > 0 ? trueProbSum / m.images : null;
  // Routing only trusts confident predictions (infer's --min-confidence), so among epochs of equal balanced
  // accuracy the one that gives the right class more probability wins; the tie-breaker is too small to
  // outweigh one more correct image.
  const score = m.balancedAccuracy === null ? null : m.balancedAccuracy + 1e-6 * (meanTrueProbability ?? 0);
  return {
    result,
    validation: { score, metrics: { accuracy: m.accuracy, balancedAccuracy: m.balancedAccuracy, meanTrueProbability } },
  };
}
