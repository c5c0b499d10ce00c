// What a fine-tune trains and validates on, from the train split only: train normals and train defects are each
// split by the trainers' seeded holdOut; the held-out halves form the validation plan, the rest is trained on.
import { MadenetError } from '../core/errors.js';
import { samplesOf, type Dataset, type Sample } from '../io/dataset.js';
import type { ValidationPlan } from '../perfmap/validation-set.js';
import { holdOut } from '../train/data.js';

export interface FinetuneData {
  category: string;
  /** Train normals minus the validation hold-out (the same split train-srad/sfad/lpd and build-perfmap make). */
  trainNormals: Sample[];
  /** Train defects with a pixel mask, minus the validation hold-out: the real defects fine-tuning sees. */
  trainDefects: Sample[];
  /** Held-out train normals + held-out train defects (source 'train-defects'); never trained on. */
  plan: ValidationPlan;
  /** Train-part defects left out because they have no mask (real masks are what fine-tuning learns from). */
  unmasked: Sample[];
}

export interface FinetuneDataOptions {
  valFraction: number;
  seed: number;
}

/**
 * Splits one category's train split for fine-tuning. Throws E_NO_DEFECTS when the category has too few real
 * train defects with masks to both train on and validate with (at least one of each), E_DATASET without normals.
 */
export function selectFinetuneData(dataset: Pick<Dataset, 'samples' | 'root'>, category: string, opts: FinetuneDataOptions): FinetuneData {
  if (!(opts.valFraction > 0 && opts.valFraction < 1)) {
    throw new MadenetError('E_USAGE', `--val-fraction is ${opts.valFraction}; expected a number in (0, 1).`);
  }
  const normals = samplesOf(dataset, { category, split: 'train', label: 0 });
  if (normals.length < 2) {
    throw new MadenetError('E_DATASET', `Category ${category} has ${normals.length} normal training image(s); expected at least 2, so that some can be held out for validation.`);
  }
  const defects = samplesOf(dataset, { category, split: 'train', label: 1 });
  const masked = defects.filter((s) => s.maskPath !== null);
  if (masked.length === 0) throw noDefects(category, dataset.root, defects.length);
  const normalSplit = holdOut(normals, opts.valFraction, opts.seed);
  // All train defects are split (masked or not), so the validation defects are the same set build-perfmap can
  // hold out with one holdOut call; only masked ones are then trained on.
  const defectSplit = holdOut(defects, opts.valFraction, opts.seed);
  const trainDefects = defectSplit.train.filter((s) => s.maskPath !== null);
  const validationMasked = defectSplit.validation.filter((s) => s.maskPath !== null);
  if (trainDefects.length === 0 || validationMasked.length === 0) {
    throw new MadenetError(
      'E_NO_DEFECTS',
      `Category ${category} has ${masked.length} train defect(s) with masks; holding out ${validationMasked.length} for validation leaves ${trainDefects.length} to fine-tune on. Expected at least one of each.`,
      { suggestions: ['Add more defective images with masks under train/<defect-type> and ground_truth/<defect-type>, or change --val-fraction.'] },
    );
  }
  if (normalSplit.train.length === 0) {
    throw new MadenetError('E_DATASET', `Category ${category} leaves no normal training image after holding out ${normalSplit.validation.length} for validation; expected at least one.`);
  }
  return {
    category,
    trainNormals: normalSplit.train,
    trainDefects,
    plan: { category, source: 'train-defects', normals: normalSplit.validation, defects: defectSplit.validation, synthetic: [] },
    unmasked: defectSplit.train.filter((s) => s.maskPath === null),
  };
}

function noDefects(category: string, root: string, unmasked: number): MadenetError {
  const found = unmasked > 0 ? `${unmasked} train defect(s) but none with a mask` : 'no defective training images';
  return new MadenetError('E_NO_DEFECTS', `Category ${category} in ${root} has ${found}; fine-tuning needs real train defects with pixel masks.`, {
    suggestions: [
      ...(unmasked > 0 ? ['Image-level defects (no masks) still serve train-*, build-perfmap and evaluate, which then judge by image AUROC; only this fine-tune learns from masks.'] : []),
      'Put defective images in <category>/train/<defect-type>/ and their masks in <category>/ground_truth/<defect-type>/<stem>_mask.png (ManuDefect-21 layout).',
      'Without real defects, keep the unsupervised artifact: it is what train-srad, train-sfad and train-lpd already produce.',
    ],
  });
}
