// The pre-classifier's data: every train-split image of each category (normal and defective alike: a defective
// BGA is still a BGA) labelled by its category, a seeded hold-out per category for validation, and epochs
// drawn class-balanced (classes in turn, images cycled within a class) in an order fixed by (seed, epoch).
import { MadenetError } from '../../core/errors.js';
import { samplesOf, type Dataset, type Sample } from '../../io/dataset.js';
import { streamSamples } from '../../io/sample-stream.js';
import type { RgbImage } from '../../io/image.js';
import { Rng, hashSeed } from '../../core/random.js';
import { holdOut } from '../data.js';

export interface LabeledSample {
  sample: Sample;
  /** Index into the category list. */
  label: number;
}

export interface ClassifierSplit {
  categories: string[];
  train: LabeledSample[];
  validation: LabeledSample[];
  /** Train / validation images per category, in category order. */
  counts: { train: number[]; validation: number[] };
}

/** Most held-out images per category (holdOut's own cap of 64 suits anomaly validation, not this). */
const MAX_VALIDATION_PER_CLASS = 1000;

export function splitClassifierData(dataset: Pick<Dataset, 'samples' | 'categories'>, opts: { valFraction: number; seed: number }): ClassifierSplit {
  const categories = [...dataset.categories].sort();
  if (categories.length < 2) {
    throw new MadenetError('E_DATASET', `The pre-classifier needs at least two categories; the dataset has ${categories.length} (${categories.join(', ') || 'none'}).`, {
      suggestions: ['Point --data at a root holding several category folders.'],
    });
  }
  const train: LabeledSample[] = [];
  const validation: LabeledSample[] = [];
  const counts = { train: [] as number[], validation: [] as number[] };
  categories.forEach((category, label) => {
    const all = samplesOf(dataset, { category, split: 'train' });
    if (all.length === 0) {
      throw new MadenetError('E_NO_IMAGES', `Category ${category} has no training images; expected <root>/${category}/train/*/*.png.`);
    }
    // Seeded per category so that adding a category does not reshuffle the others' hold-outs.
    const split = holdOut(all, opts.valFraction, hashSeed(category, opts.seed), MAX_VALIDATION_PER_CLASS);
    train.push(...split.train.map((sample) => ({ sample, label })));
    validation.push(...split.validation.map((sample) => ({ sample, label })));
    counts.train.push(split.train.length);
    counts.validation.push(split.validation.length);
  });
  return { categories, train, validation, counts };
}

/**
 * `count` samples where classes come in turn (a fresh shuffle of the classes per round) and each class
 * cycles through a fresh shuffle of its images, so every class is seen equally often whatever its size.
 */
export function balancedEpochOrder(train: readonly LabeledSample[], numClasses: number, opts: { seed: number; epoch: number; count: number }): LabeledSample[] {
  const rng = new Rng((Math.imul(opts.seed ^ 0xc1a55, 0x9e3779b1) + opts.epoch) >>> 0);
  const byClass = Array.from({ length: numClasses }, (_, c) => train.filter((s) => s.label === c));
  const present = byClass.map((list, c) => (list.length > 0 ? c : -1)).filter((c) => c >= 0);
  const cycles = byClass.map(() => [] as LabeledSample[]);
  const order: LabeledSample[] = [];
  let round: number[] = [];
  while (order.length < opts.count && present.length > 0) {
    if (round.length === 0) round = rng.shuffle([...present]);
    const c = round.shift() as number;
    if ((cycles[c] as LabeledSample[]).length === 0) cycles[c] = rng.shuffle([...(byClass[c] as LabeledSample[])]);
    order.push((cycles[c] as LabeledSample[]).shift() as LabeledSample);
  }
  return order;
}

export interface ClassifierBatchItems {
  images: RgbImage[];
  labels: number[];
}

/** One epoch of full batches, decoded at `size`, each image mirrored left-right with probability 0.5. */
export async function* classifierEpochBatches(
  order: readonly LabeledSample[],
  opts: { seed: number; epoch: number; size: number; batchSize: number },
): AsyncGenerator<ClassifierBatchItems> {
  const rng = new Rng((Math.imul(opts.seed ^ 0xf11b, 0x9e3779b1) + opts.epoch) >>> 0);
  let batch: ClassifierBatchItems = { images: [], labels: [] };
  let i = 0;
  for await (const d of streamSamples(order.map((o) => o.sample), { size: opts.size })) {
    const flip = rng.bool(0.5);
    batch.images.push(flip ? mirror(d.image) : d.image);
    batch.labels.push((order[i++] as LabeledSample).label);
    if (batch.images.length === opts.batchSize) {
      yield batch;
      batch = { images: [], labels: [] };
    }
  }
}

function mirror(img: RgbImage): RgbImage {
  const { width: w, height: h } = img;
  const data = new Float32Array(img.data.length);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const from = (y * w + x) * 3;
      const to = (y * w + (w - 1 - x)) * 3;
      data[to] = img.data[from] as number;
      data[to + 1] = img.data[from + 1] as number;
      data[to + 2] = img.data[from + 2] as number;
    }
  }
  return { width: w, height: h, data };
}
