// What a classifier fine-tune trains and validates on: the train split of every category the classifier knows,
// normals and defects alike (a defective BGA is still a BGA), held out exactly as train-classifier holds out.
// Categories the classifier does not know are ignored with a warning; no image of the test split is read.
import { MadenetError } from '../core/errors.js';
import type { Dataset } from '../io/dataset.js';
import { splitClassifierData, type LabeledSample } from '../train/classifier/classifier-data.js';

export interface ClassifierFinetuneCounts {
  trainNormals: number;
  trainDefects: number;
  validationNormals: number;
  validationDefects: number;
}

export interface ClassifierFinetuneData {
  /** The classifier's categories in its softmax column order; labels index this list. */
  categories: string[];
  /** Train-split images minus the hold-out, normals and defects, labelled by category. */
  train: LabeledSample[];
  /** The hold-out (train-classifier's per-category seeded split): never trained on, never the test split. */
  validation: LabeledSample[];
  counts: Record<string, ClassifierFinetuneCounts>;
  totals: ClassifierFinetuneCounts;
  /** Categories in the data that the classifier has no output for (not trained on, not validated). */
  ignoredCategories: string[];
  warnings: string[];
}

/**
 * Splits the train split of the classifier's categories. Throws E_DATASET when the data lacks one of them (training
 * on a subset would teach the network to forget the others), E_NO_DEFECTS when no defective train image is left to
 * train on or to validate with (the point of fine-tuning the classifier is its confidence on defects).
 */
export function selectClassifierFinetuneData(
  dataset: Pick<Dataset, 'samples' | 'categories' | 'root'>,
  categories: readonly string[],
  opts: { valFraction: number; seed: number },
): ClassifierFinetuneData {
  const known = new Set(categories);
  const missing = categories.filter((c) => !dataset.categories.includes(c));
  if (missing.length > 0) {
    throw new MadenetError(
      'E_DATASET',
      `The classifier knows ${missing.join(', ')}, which ${dataset.root} lacks; expected training images of every category it was trained on (${categories.join(', ')}).`,
      { suggestions: ['Point --data at the dataset the classifier was trained on (or one with the same categories).'] },
    );
  }
  const ignoredCategories = dataset.categories.filter((c) => !known.has(c));
  const warnings =
    ignoredCategories.length > 0
      ? [`The classifier has no output for ${ignoredCategories.join(', ')}; their images are ignored (train a new classifier with train-classifier to add categories).`]
      : [];
  const split = splitClassifierData(
    { categories: [...categories], samples: dataset.samples.filter((s) => known.has(s.category)) },
    opts,
  );
  // splitClassifierData labels by sorted name; the network's columns are in the parent's recorded order.
  const column = split.categories.map((c) => categories.indexOf(c));
  const relabel = (list: LabeledSample[]): LabeledSample[] => list.map((s) => ({ sample: s.sample, label: column[s.label] as number }));
  const train = relabel(split.train);
  const validation = relabel(split.validation);

  const counts: Record<string, ClassifierFinetuneCounts> = {};
  for (const c of categories) counts[c] = { trainNormals: 0, trainDefects: 0, validationNormals: 0, validationDefects: 0 };
  const tally = (list: LabeledSample[], normal: keyof ClassifierFinetuneCounts, defect: keyof ClassifierFinetuneCounts): void => {
    for (const s of list) (counts[s.sample.category] as ClassifierFinetuneCounts)[s.sample.label === 1 ? defect : normal]++;
  };
  tally(train, 'trainNormals', 'trainDefects');
  tally(validation, 'validationNormals', 'validationDefects');
  const totals: ClassifierFinetuneCounts = { trainNormals: 0, trainDefects: 0, validationNormals: 0, validationDefects: 0 };
  for (const c of Object.values(counts)) for (const k of Object.keys(totals) as (keyof ClassifierFinetuneCounts)[]) totals[k] += c[k];

  if (totals.trainDefects + totals.validationDefects === 0) {
    throw new MadenetError('E_NO_DEFECTS', `No category of the classifier (${categories.join(', ')}) has defective training images in ${dataset.root}; fine-tuning the classifier needs them.`, {
      suggestions: [
        'Put defective images in <category>/train/<defect-type>/ (ManuDefect-21 layout); masks are not needed for the classifier.',
        'Without defective training images, the classifier from train-classifier is already trained on everything there is.',
      ],
    });
  }
  if (totals.trainDefects === 0 || totals.validationDefects === 0) {
    throw new MadenetError(
      'E_NO_DEFECTS',
      `The classifier's categories have ${totals.trainDefects + totals.validationDefects} defective training image(s); the hold-out leaves ${totals.trainDefects} to fine-tune on and ${totals.validationDefects} to validate with. Expected at least one of each.`,
      { suggestions: ['Add defective images under <category>/train/<defect-type>/, or change --val-fraction or --seed.'] },
    );
  }
  const without = categories.filter((c) => (counts[c] as ClassifierFinetuneCounts).trainDefects === 0);
  if (without.length > 0) warnings.push(`${without.join(', ')} ha${without.length === 1 ? 's' : 've'} no defective image to fine-tune on; only normals of ${without.length === 1 ? 'it' : 'them'} are trained on.`);
  return { categories: [...categories], train, validation, counts, totals, ignoredCategories, warnings };
}
