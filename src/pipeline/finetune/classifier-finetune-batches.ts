// The order a classifier fine-tune draws its images in: categories in turn as train-classifier draws them, and
// within each category defects and normals at a fixed share, so that defects (what the parent is unsure about)
// are seen more often than their natural share. Decoding and flips are train-classifier's classifierEpochBatches.
import { MadenetError } from '../core/errors.js';
import { hashSeed, Rng } from '../core/random.js';
import { classifierEpochBatches, type ClassifierBatchItems, type LabeledSample } from '../train/classifier/classifier-data.js';

/** Half of each category's draws are defective images (when it has any). */
export const DEFAULT_DEFECT_SHARE = 0.5;

export interface ClassifierFinetuneOrderOptions {
  seed: number;
  epoch: number;
  /** Images in the epoch (steps x batch size). */
  count: number;
  /** Share of each category's draws that are defective images, in [0, 1]. */
  defectShare: number;
}

export function checkDefectShare(share: number): number {
  if (!(share >= 0 && share <= 1)) throw new MadenetError('E_USAGE', `defectShare is ${share}; expected a number in [0, 1] (the share of each category's draws that are defective images).`);
  return share;
}

/**
 * `count` samples: rounds of the categories in a fresh seeded order (every category equally often, whatever its
 * size); the k-th draw of a category is a defect when round((k+1) s) - round(k s) = 1 (s = defectShare, so any run of
 * draws holds s of them), else a normal; each pool cycles through fresh shuffles. A category without defects (or
 * without normals) draws from the pool it has. Depends on (seed, epoch) only, so a resumed epoch replays it.
 */
export function classifierFinetuneOrder(train: readonly LabeledSample[], numClasses: number, opts: ClassifierFinetuneOrderOptions): LabeledSample[] {
  checkDefectShare(opts.defectShare);
  const rng = new Rng(hashSeed(`classifier-finetune-order:${opts.epoch}`, opts.seed));
  const pools = Array.from({ length: numClasses }, (_, c) => ({
    normals: train.filter((s) => s.label === c && s.sample.label === 0),
    defects: train.filter((s) => s.label === c && s.sample.label === 1),
  }));
  const cycles = pools.map(() => ({ normals: [] as LabeledSample[], defects: [] as LabeledSample[] }));
  const draws = new Array<number>(numClasses).fill(0);
  const present = pools.map((p, c) => (p.normals.length + p.defects.length > 0 ? c : -1)).filter((c) => c >= 0);
  const upTo = (k: number): number => Math.floor(k * opts.defectShare + 0.5);
  const order: LabeledSample[] = [];
  let round: number[] = [];
  while (order.length < opts.count && present.length > 0) {
    if (round.length === 0) round = rng.shuffle([...present]);
    const c = round.shift() as number;
    const k = draws[c] as number;
    draws[c] = k + 1;
    const pool = pools[c] as (typeof pools)[number];
    const wantDefect = upTo(k + 1) - upTo(k) === 1;
    const which = pool.defects.length === 0 ? 'normals' : pool.normals.length === 0 ? 'defects' : wantDefect ? 'defects' : 'normals';
    const cycle = cycles[c] as (typeof cycles)[number];
    if (cycle[which].length === 0) cycle[which] = rng.shuffle([...pool[which]]);
    order.push(cycle[which].shift() as LabeledSample);
  }
  return order;
}

/** One epoch of full batches in that order, decoded at `size`, mirrored left-right at random (train-classifier's). */
export function classifierFinetuneBatches(
  train: readonly LabeledSample[],
  numClasses: number,
  opts: ClassifierFinetuneOrderOptions & { size: number; batchSize: number },
): AsyncGenerator<ClassifierBatchItems> {
  const order = classifierFinetuneOrder(train, numClasses, opts);
  return classifierEpochBatches(order, { seed: hashSeed('classifier-finetune-flips', opts.seed), epoch: opts.epoch, size: opts.size, batchSize: opts.batchSize });
}
