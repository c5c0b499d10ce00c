// Fine-tuning batches: per step, train normals and real train defects (image + mask) in seeded per-epoch orders,
// in the numbers the submodel's composition gives for that step, plus one synthesis seed per normal. Everything depends on
// (seed, epoch, step) only, so a resumed epoch replays the same batches. Decoding runs one step ahead, no further.
import { MadenetError } from '../core/errors.js';
import { boundedMap } from '../io/bounded-map.js';
import type { Sample } from '../io/dataset.js';
import { decodeImageWithSize, decodeMask } from '../io/decode.js';
import type { Mask, RgbImage } from '../io/image.js';
import { hashSeed, Rng } from '../core/random.js';
import type { DecodedSample } from '../train/data.js';
import type { BatchComposition } from './real-ratio.js';

export interface DecodedDefect {
  sample: Sample;
  /** [S,S,3] in [0,1]. */
  image: RgbImage;
  /** [S,S] in {0,1}. */
  mask: Mask;
}

export interface MixedRawBatch {
  /** Global step this batch is for. */
  step: number;
  composition: BatchComposition;
  /** composition.normals train normals. */
  normals: DecodedSample[];
  /** composition.real real defects. */
  defects: DecodedDefect[];
  /** One synthesis seed per normal (SRAD's anomaly, LPD's CutPaste and jitter). */
  seeds: number[];
  /** One seed per real defect (LPD's jitter). */
  defectSeeds: number[];
}

export interface MixedBatchOptions {
  /** The submodel's split of a batch at a step (SubmodelFinetune.composition). */
  composition: (batchSize: number, realRatio: number, step: number) => BatchComposition;
  seed: number;
  epoch: number;
  size: number;
  batchSize: number;
  stepsPerEpoch: number;
  realRatio: number;
}

/** One pass over normals and real defects together (a short last batch dropped), at least one step. */
export function finetuneStepsPerEpoch(trainNormals: number, trainDefects: number, batchSize: number): number {
  return Math.max(1, Math.floor((trainNormals + trainDefects) / batchSize));
}

interface StepPlan {
  step: number;
  composition: BatchComposition;
  normals: Sample[];
  defects: Sample[];
  seeds: number[];
  defectSeeds: number[];
}

/** Which samples each step of the epoch takes (no decoding): exposed so tests can check the selection cheaply. */
export function planMixedEpoch(normals: readonly Sample[], defects: readonly Sample[], opts: MixedBatchOptions): StepPlan[] {
  const first = opts.epoch * opts.stepsPerEpoch;
  const compositions = Array.from({ length: opts.stepsPerEpoch }, (_, i) => opts.composition(opts.batchSize, opts.realRatio, first + i));
  const normalOrder = seededOrder(normals, compositions.reduce((n, c) => n + c.normals, 0), hashSeed(`finetune-normals:${opts.epoch}`, opts.seed));
  const defectOrder = seededOrder(defects, compositions.reduce((n, c) => n + c.real, 0), hashSeed(`finetune-defects:${opts.epoch}`, opts.seed));
  const seedRng = new Rng(hashSeed(`finetune-synth:${opts.epoch}`, opts.seed));
  let n = 0;
  let d = 0;
  return compositions.map((composition, i) => {
    const plan: StepPlan = {
      step: first + i,
      composition,
      normals: normalOrder.slice(n, n + composition.normals),
      defects: defectOrder.slice(d, d + composition.real),
      seeds: Array.from({ length: composition.normals }, () => seedRng.nextU32()),
      defectSeeds: Array.from({ length: composition.real }, () => seedRng.nextU32()),
    };
    n += composition.normals;
    d += composition.real;
    return plan;
  });
}

/** The decoded batches of one epoch, in step order. */
export function mixedEpochBatches(normals: readonly Sample[], defects: readonly Sample[], opts: MixedBatchOptions): AsyncGenerator<MixedRawBatch> {
  const plans = planMixedEpoch(normals, defects, opts);
  return boundedMap(
    plans,
    async (p) => {
      const [decodedNormals, decodedDefects] = await Promise.all([
        Promise.all(p.normals.map(async (sample) => ({ sample, image: (await decodeImageWithSize(sample.path, { size: opts.size })).image }))),
        Promise.all(p.defects.map((sample) => decodeDefect(sample, opts.size))),
      ]);
      return { step: p.step, composition: p.composition, normals: decodedNormals, defects: decodedDefects, seeds: p.seeds, defectSeeds: p.defectSeeds };
    },
    { concurrency: 1, prefetch: 1 },
  );
}

/** A defect and its mask at size x size; the mask must match its image's own size (as everywhere else). */
export async function decodeDefect(sample: Sample, size: number): Promise<DecodedDefect> {
  const decoded = await decodeImageWithSize(sample.path, { size });
  if (sample.maskPath === null) throw new MadenetError('E_INTERNAL', `decodeDefect was given ${sample.path}, which has no mask.`);
  const mask = await decodeMask(sample.maskPath, {
    width: size,
    height: size,
    expect: { width: decoded.sourceWidth, height: decoded.sourceHeight, imagePath: sample.path },
  });
  return { sample, image: decoded.image, mask };
}

/** `count` samples as back-to-back seeded shuffles of the list (each sample once per shuffle). */
function seededOrder(samples: readonly Sample[], count: number, seed: number): Sample[] {
  if (count === 0 || samples.length === 0) return [];
  const rng = new Rng(seed);
  const order: Sample[] = [];
  while (order.length < count) order.push(...rng.shuffle([...samples]));
  order.length = count;
  return order;
}
