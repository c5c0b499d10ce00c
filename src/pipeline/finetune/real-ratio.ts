// How one fine-tuning batch is made up: its defect slots are shared between real and synthetic defects at
// --real-ratio, spread evenly over the steps so that the long-run share is exact even for small batches. Each
// submodel splits its slots in its own way (SubmodelFinetune.composition in its index.ts), from these helpers.
import { MadenetError } from '../core/errors.js';

export interface BatchComposition {
  /** Real train defects (with their masks) in the batch. */
  real: number;
  /** Synthetic defects: SRAD's synthesised anomalies, LPD's CutPaste copies; 0 for SFAD (its noise is per location). */
  synthetic: number;
  /** Normal images shown as they are. */
  clean: number;
  /** Train normals the batch consumes (synthetic defects are made from normals, except LPD's, made from its clean ones). */
  normals: number;
}

export function checkRealRatio(ratio: number): number {
  if (!(ratio >= 0 && ratio <= 1)) throw new MadenetError('E_USAGE', `--real-ratio is ${ratio}; expected a number in [0, 1] (the share of defect slots given to real defects).`);
  return ratio;
}

/** Defect slots of a batch: half of it (LPD's balanced batches; SRAD's DRAEM share; SFAD's images), at least one. */
export function defectSlots(batchSize: number): number {
  return Math.max(1, Math.floor(batchSize / 2));
}

/** Real defects at global step `step`: round((step+1) r s) - round(step r s), so any run of steps holds r of the slots. */
export function realAtStep(step: number, slots: number, ratio: number): number {
  const upTo = (k: number): number => Math.floor(k * ratio * slots + 0.5);
  return upTo(step + 1) - upTo(step);
}
