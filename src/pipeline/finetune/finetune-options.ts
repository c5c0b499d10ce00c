// What every fine-tune takes (a submodel's or the pre-classifier's): the parent artifact and the data, and the
// settings that default to the parent's so that validation stays on images the parent never trained on.
import type { TrainingRunOptions } from '../train/train-run-types.js';

export interface ParentRunOptions extends TrainingRunOptions {
  /** The parent: a vNNNN directory of an artifact, or its <kind>/<category> directory (LATEST). */
  model: string;
  /** Dataset root with defective train images in <category>/train/<defect-type> (masks in ground_truth/). */
  data: string;
  /** Artifact root for <kind>/<category>/vNNNN; default the parent's root. */
  out?: string;
  /** Default the parent's batch size (LPD: even, half normal, half defective). */
  batchSize?: number;
  /** Adam rate; default a share of the parent's (each submodel's finetune.lrFactor, CLASSIFIER_FINETUNE_LR_FACTOR), cosine decay to 0. */
  lr?: number;
  /** Default the parent's, so that the validation images are ones the parent never trained on. */
  valFraction?: number;
  /** Default the parent's seed (it fixes the hold-out split, data order and flips). */
  seed?: number;
}

/** The settings a fine-tune inherits from its parent, as the parent recorded them. */
export interface ParentDefaults {
  batchSize: number;
  lr: number;
  valFraction: number;
  seed: number;
}

/** The run's epochs, batch size, rate, hold-out share and seed: the options given, else the parent's (epochs: the fine-tune's own default). */
export function withParentDefaults(opts: ParentRunOptions, parent: ParentDefaults, defaultEpochs: number): { epochs: number } & ParentDefaults {
  return {
    epochs: opts.epochs ?? defaultEpochs,
    batchSize: opts.batchSize ?? parent.batchSize,
    lr: opts.lr ?? parent.lr,
    valFraction: opts.valFraction ?? parent.valFraction,
    seed: opts.seed ?? parent.seed,
  };
}
