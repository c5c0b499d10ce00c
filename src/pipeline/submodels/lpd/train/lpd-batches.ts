// LPD's balanced training batches: B/2 train normals in a seeded per-epoch order, each colour-jittered and
// given a CutPaste twin (5-20% area rectangle turned/mirrored, or a scar, behind the perceptibility gate), so
// every batch holds B/2 normals (label 0) and their B/2 patched copies (label 1). Seeds depend only on
// (seed, epoch, position), so a resumed epoch replays the same batches.
import * as tf from '@tensorflow/tfjs';
import type { Sample } from '../../../io/dataset.js';
import type { RgbImage } from '../../../io/image.js';
import { Rng } from '../../../core/random.js';
import { cutPaste, type CutPasteVariant, type GateOptions } from '../../../synth/index.js';
import { epochStream, fullBatches, type DecodedSample } from '../../../train/data.js';
import { imagesToTensor } from '../../../train/tensors.js';
import { applyImageJitter, drawImageJitter } from './lpd-augment.js';

/** 'mixed' draws the normal or the scar variant with equal odds per image. */
export type LpdCutPasteVariant = CutPasteVariant | 'mixed';
export const LPD_VARIANTS: readonly LpdCutPasteVariant[] = ['normal', 'scar', 'mixed'];

export interface LpdSynthOptions {
  variant: LpdCutPasteVariant;
  /** The perceptibility gate (default synth's), or false for none. */
  gate: GateOptions | false;
  /** Colour-jitter strength applied to every image (CutPaste: 0.1); 0 turns it off. */
  jitter: number;
}

export interface LpdRawBatch {
  items: DecodedSample[];
  /** Per-item synthesis seeds. */
  seeds: number[];
}

export interface LpdTensorBatch {
  /** [B,S,S,3] in [0,1]: the B/2 jittered normals, then their B/2 CutPaste copies. */
  images: tf.Tensor4D;
  /** [B]: 0 for the first half, 1 for the second. */
  labels: tf.Tensor1D;
}

/** Gate statistics over the patched images made so far. */
export interface CutPasteStats {
  patched: number;
  /** Draws the gate rejected (redrawn). */
  rejections: number;
  /** Images whose every draw was rejected (the least similar draw was kept). */
  keptUnaccepted: number;
}

export function emptyCutPasteStats(): CutPasteStats {
  return { patched: 0, rejections: 0, keptUnaccepted: 0 };
}

/** Steps per epoch: every training normal once as B/2 per step (dropping a short last batch), at least one. */
export function lpdStepsPerEpoch(trainImages: number, batchSize: number): number {
  return Math.max(1, Math.floor(trainImages / (batchSize / 2)));
}

/** The raw batches (B/2 decoded normals each) of one epoch. */
export function lpdEpochBatches(
  samples: readonly Sample[],
  opts: { seed: number; epoch: number; size: number; batchSize: number; stepsPerEpoch: number },
): AsyncGenerator<LpdRawBatch> {
  const half = opts.batchSize / 2;
  const stream = epochStream(samples, { seed: opts.seed, epoch: opts.epoch, size: opts.size, repeatTo: opts.stepsPerEpoch * half });
  // One seed stream per epoch, independent of epochStream's order stream.
  const rng = new Rng((Math.imul(opts.seed ^ 0x1bd5c, 0x9e3779b1) + opts.epoch) >>> 0);
  return (async function* () {
    for await (const items of fullBatches(stream, half)) yield { items, seeds: items.map(() => rng.nextU32()) };
  })();
}

/** Jitters each normal, patches a copy of it, and stacks the balanced batch (the caller disposes it). */
export function synthesizeLpdBatch(raw: LpdRawBatch, opts: LpdSynthOptions, stats?: CutPasteStats): LpdTensorBatch {
  const normals: RgbImage[] = [];
  const patched: RgbImage[] = [];
  raw.items.forEach((d, i) => {
    const rng = new Rng(raw.seeds[i] as number);
    const normal = opts.jitter > 0 ? applyImageJitter(d.image, drawImageJitter(rng, opts.jitter)) : d.image;
    const variant: CutPasteVariant = opts.variant === 'mixed' ? (rng.bool(0.5) ? 'scar' : 'normal') : opts.variant;
    const cut = cutPaste(normal, rng, { variant, gate: opts.gate });
    normals.push(normal);
    patched.push(cut.image);
    if (stats) {
      stats.patched++;
      stats.rejections += cut.rejections;
      if (!cut.params.accepted) stats.keptUnaccepted++;
    }
  });
  const n = normals.length;
  return tf.tidy(() => ({
    images: imagesToTensor([...normals, ...patched]),
    labels: tf.tensor1d(Array.from({ length: 2 * n }, (_, i) => (i < n ? 0 : 1))),
  }));
}
