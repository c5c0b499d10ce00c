// `madenet evaluate`: pairs a predictions directory with the dataset's ground truth, computes exact image
// and pixel metrics per category and defect type, and writes metrics.json/.csv/.md and report.html.
import { join, resolve } from 'node:path';
import { lockOutputFolder } from '../artifacts/output-folder.js';
import { MadenetError } from '../core/errors.js';
import type { BackendRequest } from '../runtime/backend.js';
import { inferForEvaluation } from './evaluate-model.js';
import { loadDataset } from '../io/dataset.js';
import { computeMetrics } from '../eval/gather/compute-metrics.js';
import { matchPredictions } from '../eval/gather/match-predictions.js';
import { METRICS_SCHEMA, type EvaluationMetrics } from '../eval/report/metrics-json.js';
import { meanRow } from '../eval/report/metrics-table.js';
import { writeReport, type ReportFiles } from '../eval/report/write-report.js';

export interface EvaluateOptions {
  /** Predictions directory (predictions.jsonl + maps). */
  predictions?: string;
  /** Submodel or perfmap artifact to run inference with first (on the test split), then evaluate. */
  model?: string;
  backend?: BackendRequest;
  threads?: number;
  /** With `model`: images per forward pass. */
  batchSize?: number;
  /** Dataset root (or category directory, or manifest) with the ground truth. */
  data: string;
  /** Only these categories (by the dataset's category of each image). */
  categories?: string[];
  /** Output directory; default <predictions>/evaluation. */
  out?: string;
  /** FPR at which TPR is reported; default 0.01. */
  fpr?: number;
  /** FPR limit of AUPRO; default 0.3. */
  auproLimit?: number;
  /** Worst misses and false alarms shown per category; default 4. */
  examples?: number;
  /** Progress over map reads (two passes). */
  onMap?: (done: number, total: number) => void;
}

export interface EvaluateResult {
  metrics: EvaluationMetrics;
  files: ReportFiles;
}

export async function evaluate(opts: EvaluateOptions): Promise<EvaluateResult> {
  if (opts.model !== undefined) {
    const work = resolve(opts.out ?? 'madenet-evaluation');
    const ran = await inferForEvaluation({ model: opts.model, data: opts.data, categories: opts.categories, out: work, backend: opts.backend, threads: opts.threads, batchSize: opts.batchSize });
    return evaluate({ ...opts, model: undefined, predictions: ran.predictions, out: join(work, 'evaluation') });
  }
  if (opts.predictions === undefined) {
    throw new MadenetError('E_USAGE', 'No --predictions directory given; expected --predictions DIR (or --model ARTIFACT).');
  }
  const fpr = opts.fpr ?? 0.01;
  const auproLimit = opts.auproLimit ?? 0.3;
  if (!(fpr >= 0 && fpr <= 1)) throw new MadenetError('E_USAGE', `--target-fpr is ${fpr}; expected a number in [0, 1].`);
  if (!(auproLimit > 0 && auproLimit <= 1)) throw new MadenetError('E_USAGE', `AUPRO limit is ${auproLimit}; expected a number in (0, 1].`);

  const dataset = await loadDataset(opts.data);
  let selected: Set<string> | null = null;
  if (opts.categories && opts.categories.length > 0) {
    const unknown = opts.categories.filter((c) => !dataset.categories.includes(c));
    if (unknown.length > 0) {
      throw new MadenetError('E_DATASET', `Category ${unknown.join(', ')} not found in ${opts.data}; expected one of: ${dataset.categories.join(', ')}.`);
    }
    selected = new Set(opts.categories);
  }
  const match = await matchPredictions(opts.predictions, dataset, selected);
  const warnings: string[] = [];
  if (match.tornLine) {
    warnings.push(`predictions.jsonl line ${match.tornLine.line} is torn (infer was interrupted mid-write) and was ignored: ${JSON.stringify(match.tornLine.text)}.`);
  }
  if (match.unmatched > 0) {
    warnings.push(`${match.unmatched} predictions match no image of ${opts.data} and were skipped (e.g. ${match.unmatchedExamples.join(', ')}).`);
  }
  if (match.trainImages > 0) warnings.push(`${match.trainImages} predictions are for training images; only the test split is evaluated.`);
  if (match.duplicates > 0) warnings.push(`${match.duplicates} images have more than one prediction; the first one was used.`);
  if (match.missing.length > 0) {
    const eg = match.missing.slice(0, 3).map((s) => s.path).join(', ');
    warnings.push(`${match.missing.length} test images have no prediction (e.g. ${eg}); metrics cover the predicted images only.`);
  }
  if (match.wrongCategory > 0) {
    warnings.push(`${match.wrongCategory} images were scored as another category than their ground truth's (routing errors); they are evaluated under their true category.`);
  }
  if (match.items.length === 0) {
    throw new MadenetError('E_PREDICTIONS', `None of the ${match.predictions} predictions in ${opts.predictions} is for a test image of ${opts.data}${selected ? ` in ${[...selected].join(', ')}` : ''}.`, {
      suggestions: ['Run infer on the test images of this dataset, with paths as they are on disk (absolute, or relative to the working directory or the dataset root).'],
    });
  }

  const computed = await computeMetrics(match.items, { fpr, auproLimit, examples: opts.examples ?? 4, onMap: opts.onMap });
  const rows = computed.categories.flatMap((c) => c.rows);
  const metrics: EvaluationMetrics = {
    schema: METRICS_SCHEMA,
    predictions: resolve(opts.predictions),
    data: dataset.root,
    settings: { fpr, auproLimit, labelRule: 'score >= threshold' },
    counts: {
      predictions: match.predictions,
      evaluated: match.items.length,
      unmatched: match.unmatched,
      trainImages: match.trainImages,
      otherCategories: match.otherCategories,
      duplicates: match.duplicates,
      missing: match.missing.length,
      wrongCategory: match.wrongCategory,
    },
    categories: computed.categories.map((c) => c.category),
    rows,
    mean: meanRow(rows),
    pixelCoverage: Object.fromEntries(computed.categories.map((c) => [c.category, c.pixel])),
    warnings: [...warnings, ...computed.warnings],
  };
  const lock = await lockOutputFolder(opts.out ?? join(opts.predictions, 'evaluation'), 'evaluate');
  try {
    const files = await writeReport(lock.dir, metrics, computed);
    return { metrics, files };
  } finally {
    await lock.release();
  }
}
