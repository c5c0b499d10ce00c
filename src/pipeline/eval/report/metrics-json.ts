// The metrics.json contract (also the --json output of `madenet evaluate`). Types only.
import type { PixelStatus } from '../gather/compute-metrics.js';
import type { MeanRow, MetricsRow } from './metrics-table.js';

export const METRICS_SCHEMA = 'madenet.evaluation/v1';

export interface EvaluationCounts {
  /** Lines read from predictions.jsonl. */
  predictions: number;
  /** Predictions paired with a test image of the selected categories. */
  evaluated: number;
  /** Predictions whose path is no image of the dataset. */
  unmatched: number;
  /** Predictions for training images (not evaluated). */
  trainImages: number;
  /** Predictions for categories not selected with --category. */
  otherCategories: number;
  /** Repeated predictions for one image (the first was used). */
  duplicates: number;
  /** Test images of the selected categories without a prediction. */
  missing: number;
  /** Evaluated images whose prediction names another category than the ground truth (routing errors). */
  wrongCategory: number;
}

export interface EvaluationMetrics {
  schema: typeof METRICS_SCHEMA;
  predictions: string;
  data: string;
  settings: {
    /** FPR at which tprAtFpr is read off the ROC step function. */
    fpr: number;
    auproLimit: number;
    /** How scores become labels everywhere in madenet. */
    labelRule: 'score >= threshold';
  };
  counts: EvaluationCounts;
  categories: string[];
  /** Per category (defectType "all"), then per defect type (its images plus the category's normals). */
  rows: MetricsRow[];
  /** Mean over categories of each metric, ignoring n/a (null) values. */
  mean: MeanRow;
  /**
   * Per category, what the pixel metrics cover: 'evaluated' (all), 'some-masks-missing' (the defects with a mask),
   * 'no-masks' (image-level ground truth: n/a), 'no-maps' / 'some-maps-missing' (predictions without maps: n/a).
   */
  pixelCoverage: Record<string, PixelStatus>;
  /** Why some values are null, and what was skipped. */
  warnings: string[];
}
