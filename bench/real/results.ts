// The shape of bench/results/real.json (raw numbers of `npm run bench:real`) and the published reference
// points it is shown next to. Types and constants only: nothing here runs or renders.

import type { CategoryRanking } from './ranking.js';

export const BENCH_REAL_SCHEMA = 'madenet.bench-real/v1';

/** Submodel runs per category: SFAD twice when the random-backbone run is asked for. */
export type SubmodelRunId = 'srad' | 'lpd' | 'sfad-lpd' | 'sfad-random';

/** A row of the results: the budgeted runs above, and the PatchCore memory bank (no epochs; planned on top). */
export type SubmodelRowId = SubmodelRunId | 'patchcore';

export interface Metrics {
  imageAuroc: number | null;
  pixelAuroc: number | null;
  pixelAp: number | null;
  aupro: number | null;
}

export interface SubmodelRow extends Metrics {
  id: SubmodelRowId;
  kind: 'srad' | 'sfad' | 'lpd' | 'patchcore';
  preset: string;
  imageSize: number;
  /** 'random', the LPD artifact SFAD's backbone came from, or PatchCore's backbone id. */
  backbone: string;
  /** Where a pretrained backbone came from (package, version, licence), for PatchCore; absent otherwise. */
  backboneSource?: string;
  /** 0 for PatchCore (a memory bank: features once, no gradient epochs). */
  epochs: number;
  /** Epoch of the saved weights (best validation objective), null when not reported. */
  bestEpoch: number | null;
  /** The plan's estimate of the training seconds for these epochs, and what it really took. */
  plannedSeconds: number;
  trainSeconds: number;
  /** CPU seconds of the bench process while this submodel trained (all threads); absent in older runs. */
  trainCpuSeconds?: number;
  /** Wall seconds of each training epoch (validation included) and the images trained on. */
  epochSeconds: number[];
  trainImages: number;
  /** Train images processed per second of training (images x epochs / seconds; PatchCore: its feature pass). */
  trainImagesPerSecond?: number;
  /** build-perfmap's objective of the saved epoch on validation data (held-out normals + synthetic defects). */
  validationObjective: number | null;
  /** The infer service on this category's test split alone (decode, model, map writes; model load included). */
  inferImagesPerSecond: number;
  artifact: string;
}

export interface RoutedRow extends Metrics {
  /** The perfmap's choice for the category and its validation margin over the runner-up. */
  chosen: string;
  margin: number | null;
  /** Test images of this category by the submodel that scored them (fallback routes included). */
  scoredBy: Record<string, number>;
  /** Test images of this category the pre-classifier assigned to another category. */
  misrouted: number;
}

export interface CategoryResult {
  name: string;
  /** Directory relative to the data root. */
  dir: string;
  trainNormals: number;
  trainDefects: number;
  testNormals: number;
  testDefects: number;
  /** Native resolution of the first train image (e.g. '256x256'). */
  resolution: string;
  validation: { source: string; normals: number; defects: number };
  /** What fine-tuning did, or why it did not run. */
  finetune: string;
  /** Training budget of this category in seconds (the --budget-minutes share), and what training took. */
  budgetSeconds: number;
  trainSeconds: number;
  /** PatchCore's planned seconds, on top of budgetSeconds (absent in older runs or with --skip-patchcore). */
  patchcorePlannedSeconds?: number;
  submodels: SubmodelRow[];
  routed: RoutedRow;
}

export interface BenchResults {
  schema: typeof BENCH_REAL_SCHEMA;
  mode: 'full' | 'smoke';
  date: string;
  commit: string;
  /** True when `git status --porcelain` listed changes: the numbers are of the working tree, not the commit. */
  dirty: boolean;
  machine: { cpu: string; cores: number; memoryGb: number; node: string; backend: string; threads: number; simd: boolean };
  dataRoot: string;
  out: string;
  seed: number;
  imageSize: number;
  budgetMinutesPerCategory: number;
  /** The CPU training limit per category (all submodels, PatchCore included) the run is checked against. */
  trainingLimitMinutes?: number;
  presets: { srad: string; lpd: string; sfad: string; classifier: string };
  settings: Record<string, unknown>;
  /** backbone: the body it was trained on (absent in runs before it was recorded: random). */
  classifier: { preset: string; imageSize: number; epochs: number; seconds: number; validationAccuracy: number | null; artifact: string; backbone?: string; lr?: number };
  perfmap: {
    artifact: string;
    lambda: number;
    seconds: number;
    /** The kind low-confidence images went to (null: no classifier), how it was picked, and the validation ranking behind it. Absent in older runs. */
    fallback?: string | null;
    fallbackRule?: string;
    fallbackRanking?: { kind: string; meanObjective: number }[];
  };
  routedInfer: { images: number; imagesPerSecond: number; seconds: number; routes: Record<string, number> };
  categories: CategoryResult[];
  /** Validation ranking against test ranking, per perfmap built (synthetic; real with --real-validation). Absent in older runs. */
  rankings?: { label: string; rankings: CategoryRanking[] }[];
  /** Mean over categories of each routed metric (null values left out). */
  routedMean: Metrics;
  commands: string[];
  warnings: string[];
  totalSeconds: number;
}

export interface ReferencePoint {
  method: string;
  imageAuroc: number | null;
  pixelAuroc: number | null;
}

/** Published MVTec AD means (15 categories, full test sets, GPU, ImageNet-pretrained backbones), in percent. */
export const PUBLISHED_REFERENCES: readonly ReferencePoint[] = [
  { method: 'DRAEM', imageAuroc: 98.1, pixelAuroc: 97.5 },
  { method: 'SimpleNet', imageAuroc: 99.6, pixelAuroc: null },
  { method: 'CutPaste', imageAuroc: 96.6, pixelAuroc: null },
  { method: 'PatchCore', imageAuroc: 99.2, pixelAuroc: 98.1 },
];
