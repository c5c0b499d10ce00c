// Pairs each prediction with its ground-truth test sample by path (as written, then relative to the
// dataset root). Reports what did not pair; decodes nothing and computes no metric.
import { isAbsolute, resolve } from 'node:path';
import type { Dataset, Sample } from '../../io/dataset-types.js';
import { readPredictions } from '../../predictions/read-predictions.js';
import { resolveMapPath, type Prediction } from '../../predictions/prediction.js';

export interface EvalItem {
  prediction: Prediction;
  sample: Sample;
  /** Absolute path of the anomaly map, or null for an image-level-only prediction. */
  mapPath: string | null;
  /** The predictions folder: maps are read only inside it (a line naming ../../etc/shadow, or a link out, is refused). */
  mapRoot: string;
}

export interface MatchReport {
  items: EvalItem[];
  /** Lines read from predictions.jsonl (torn line excluded). */
  predictions: number;
  /** Predictions whose path is no image of the dataset (first few kept in `unmatchedExamples`). */
  unmatched: number;
  unmatchedExamples: string[];
  /** Predictions for training images (skipped: evaluation uses the test split only). */
  trainImages: number;
  /** Predictions for categories left out by --category. */
  otherCategories: number;
  /** Second and later predictions for the same image (the first one is kept). */
  duplicates: number;
  /** Test images of the selected categories that have no prediction. */
  missing: Sample[];
  /** Evaluated predictions whose category differs from the ground truth's (routing errors). */
  wrongCategory: number;
  tornLine: { line: number; text: string } | null;
}

export async function matchPredictions(dir: string, dataset: Dataset, categories: ReadonlySet<string> | null): Promise<MatchReport> {
  const byPath = new Map<string, Sample>();
  for (const s of dataset.samples) byPath.set(resolve(s.path), s);
  const report: MatchReport = {
    items: [],
    predictions: 0,
    unmatched: 0,
    unmatchedExamples: [],
    trainImages: 0,
    otherCategories: 0,
    duplicates: 0,
    missing: [],
    wrongCategory: 0,
    tornLine: null,
  };
  const seen = new Set<string>();
  const preds = readPredictions(dir, { onTornLine: (t) => (report.tornLine = { line: t.line, text: t.text }) });
  for await (const p of preds) {
    report.predictions++;
    const sample = byPath.get(resolve(p.path)) ?? (isAbsolute(p.path) ? undefined : byPath.get(resolve(dataset.root, p.path)));
    if (!sample) {
      report.unmatched++;
      if (report.unmatchedExamples.length < 5) report.unmatchedExamples.push(p.path);
      continue;
    }
    if (categories && !categories.has(sample.category)) {
      report.otherCategories++;
      continue;
    }
    if (sample.split !== 'test') {
      report.trainImages++;
      continue;
    }
    if (seen.has(sample.path)) {
      report.duplicates++;
      continue;
    }
    seen.add(sample.path);
    if (p.category !== sample.category) report.wrongCategory++;
    report.items.push({ prediction: p, sample, mapPath: resolveMapPath(dir, p), mapRoot: dir });
  }
  report.missing = dataset.samples.filter(
    (s) => s.split === 'test' && !seen.has(s.path) && (categories === null || categories.has(s.category)),
  );
  return report;
}
