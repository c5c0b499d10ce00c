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

export async function validateClassifier(
  model: tf.LayersModel,
  validation: readonly LabeledSample[],
  opts: { numClasses: number; size: number; batchSize: number },
): Promise<{ result: ClassifierValidation; validation: Validation }> {
  const confusion = Array.from({ length: opts.numClasses }, () => new Array<number>(opts.numClasses).fill(0));
  let offset = 0;
  for await (const batch of batches(streamSamples(validation.map((v) => v.sample), { size: opts.size }), opts.batchSize)) {
    const predicted = tf.tidy(() => {
      const x = imagesToTensor(batch.map((d) => d.image));
      return classifierProbs(model, x).argMax(1);
    });
    const idx = await predicted.data();
    predicted.dispose();
    batch.forEach((_, i) => {
      const row = confusion[(validation[offset + i] as LabeledSample).label] as number[];
      const p = idx[i] as number;
      row[p] = (row[p] ?? 0) + 1;
    });
    offset += batch.length;
  }
  const m = confusionMetrics(confusion);
  const result: ClassifierValidation = { ...m, confusion };
  return { result, validation: { score: m.balancedAccuracy, metrics: { accuracy: m.accuracy, balancedAccuracy: m.balancedAccuracy } } };
}
