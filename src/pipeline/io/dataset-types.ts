// The shapes a loaded dataset takes: one Sample per image, plus every Problem found while loading.
// Types only; loading is in dataset.ts, the MVTec layout in mvtec-layout.ts, manifests in manifest.ts.
import type { ErrorCode } from '../core/errors.js';

export type Split = 'train' | 'test';

export interface Sample {
  /** Absolute path of the image. */
  path: string;
  category: string;
  split: Split;
  /** 0 = normal ("good"), 1 = anomalous. */
  label: 0 | 1;
  /** "good" for normal samples, else the defect type (MVTec folder name or manifest column). */
  defectType: string;
  /** Absolute path of the ground-truth mask, or null (always null for normal samples). */
  maskPath: string | null;
  /**
   * A tile of the image (training on tiles, see tiles.ts): only this rectangle of `path` (and of `maskPath`) is
   * decoded. Absent: the whole image.
   */
  region?: { left: number; top: number; width: number; height: number };
}

export type ProblemSeverity = 'error' | 'warning';

export interface Problem {
  code: ErrorCode;
  severity: ProblemSeverity;
  /** The file or directory the problem is about. */
  path: string;
  message: string;
  category?: string;
}

export type DatasetLayout = 'mvtec' | 'manifest';

export interface Dataset {
  /** Absolute path of what was loaded: a dataset root, a category directory or a manifest file. */
  root: string;
  layout: DatasetLayout;
  /** Sorted category names. */
  categories: string[];
  /** Sorted by category, split (train first), then path. */
  samples: Sample[];
  problems: Problem[];
}
