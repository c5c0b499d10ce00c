// The option and result fields every training service shares (train-srad/-sfad/-lpd/-classifier, finetune and the
// classifier fine-tune), with one meaning everywhere; each service extends them with its model's own fields.
import type { BackendRequest, RuntimeInfo } from '../runtime/backend.js';
import type { TileSpec } from '../io/tiles.js';
import type { EpochRecord, TrainProgress } from './loop.js';

export interface TrainingRunOptions {
  /** Dataset root. */
  data: string;
  /** Fixes the hold-out split, the data order, the synthesis and the initial weights; recorded in the artifact. */
  seed?: number;
  epochs?: number;
  batchSize?: number;
  lr?: number;
  backend?: BackendRequest;
  threads?: number;
  /** Share of the train images held out for validation (never trained on; the test split is never read). */
  valFraction?: number;
  /** Checkpoint every N steps and at each epoch end (default 100); 0 writes none. */
  checkpointEvery?: number;
  /** Continue from the newest checkpoint made with the same settings (without one: a warning and a fresh start). */
  resume?: boolean;
  /** Stops after the current step with E_INTERRUPTED (the last checkpoint stays). */
  signal?: AbortSignal;
  /** Train on overlapping tiles of the train images (validation too) instead of whole images; null: whole images. */
  tile?: TileSpec | null;
  onProgress?: (p: TrainProgress) => void;
  onEpoch?: (record: EpochRecord) => void;
}

export interface TrainingRunResult {
  artifact: { dir: string; version: number };
  /** Square input side of the saved model. */
  imageSize: number;
  epochs: EpochRecord[];
  steps: number;
  /** Wall-clock seconds of this invocation (a resumed run counts its own part only). */
  seconds: number;
  /** Training images per second over the optimiser steps of this invocation. */
  imagesPerSecond: number;
  /** The checkpoint a --resume continued from; null for a fresh start. */
  resumedFrom: { dir: string; step: number } | null;
  /** The checkpoint folder; null when checkpointEvery is 0. */
  checkpoints: string | null;
  runtime: RuntimeInfo;
  warnings: string[];
}

/** The result fields TrainingRun fills in (every service's result ends with them). */
export type TrainingRunFields = Pick<TrainingRunResult, 'epochs' | 'steps' | 'seconds' | 'imagesPerSecond' | 'resumedFrom' | 'checkpoints' | 'runtime' | 'warnings'>;
