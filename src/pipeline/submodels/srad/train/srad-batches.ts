// SRAD's training batches: train normals in a seeded per-epoch order, each given a synthetic anomaly (DRAEM
// texture or MSTUnet structural, Perlin mask inside the foreground) whose seed depends only on (seed, epoch,
// position), so that a resumed epoch replays the same batches. Synthesis runs when a batch is used, so the
// batches a resume skips cost a decode only.
import * as tf from '@tensorflow/tfjs';
import type { Sample } from '../../../io/dataset.js';
import type { Mask, RgbImage } from '../../../io/image.js';
import { Rng } from '../../../core/random.js';
import { foregroundMask } from '../../../synth/foreground.js';
import { synthesizeAnomalyFromSeed } from '../../../synth/anomaly.js';
import type { TextureBank } from '../../../synth/texture-bank.js';
import { epochStream, fullBatches, type DecodedSample } from '../../../train/data.js';
import { imagesToTensor, masksToTensor } from '../../../train/tensors.js';
import { sampleKey } from '../../../io/tiles.js';

export type ForegroundMode = 'auto' | 'none';

export interface SradSynthOptions {
  textures: TextureBank;
  foreground: ForegroundMode;
  /** Share of samples left normal with an empty mask (DRAEM: 0.5), so the detector also sees clean inputs. */
  normalProbability: number;
}

export interface SradRawBatch {
  items: DecodedSample[];
  /** Per-item synthesis seeds. */
  seeds: number[];
}

export interface SradTensorBatch {
  /** [N,S,S,3] in [0,1]: with anomalies. */
  image: tf.Tensor4D;
  /** [N,S,S,3] in [0,1]: before the anomalies. */
  clean: tf.Tensor4D;
  /** [N,S,S,1] in {0,1}. */
  mask: tf.Tensor4D;
}

/** Steps per epoch: every training image once (dropping a short last batch), and at least one batch. */
export function sradStepsPerEpoch(trainImages: number, batchSize: number): number {
  return Math.max(1, Math.floor(trainImages / batchSize));
}

/** The raw batches of one epoch (decoded, not yet synthesised). */
export function sradEpochBatches(
  samples: readonly Sample[],
  opts: { seed: number; epoch: number; size: number; batchSize: number; stepsPerEpoch: number },
): AsyncGenerator<SradRawBatch> {
  const stream = epochStream(samples, { seed: opts.seed, epoch: opts.epoch, size: opts.size, repeatTo: opts.stepsPerEpoch * opts.batchSize });
  // One seed stream per epoch, independent of epochStream's order stream.
  const rng = new Rng((Math.imul(opts.seed ^ 0x51a5d, 0x9e3779b1) + opts.epoch) >>> 0);
  return (async function* () {
    for await (const items of fullBatches(stream, opts.batchSize)) yield { items, seeds: items.map(() => rng.nextU32()) };
  })();
}

/**
 * Foreground masks computed once per image path (kept as bytes) while they fit in `budgetBytes`; beyond that
 * they are recomputed, which costs a few milliseconds against a training step of a second or more.
 */
export class ForegroundCache {
  private readonly masks = new Map<string, Uint8Array>();
  private bytes = 0;

  constructor(private readonly budgetBytes = 256 * 1024 * 1024) {}

  get(path: string, image: RgbImage): Mask {
    const hit = this.masks.get(path);
    if (hit && hit.length === image.width * image.height) return { width: image.width, height: image.height, data: Float32Array.from(hit) };
    const mask = foregroundMask(image);
    if (this.bytes + mask.data.length <= this.budgetBytes) {
      this.masks.set(path, Uint8Array.from(mask.data, (v) => (v > 0.5 ? 1 : 0)));
      this.bytes += mask.data.length;
    }
    return mask;
  }
}

/** Synthesises the batch's anomalies and stacks it into tensors (the caller disposes them). */
export function synthesizeSradBatch(raw: SradRawBatch, opts: SradSynthOptions, cache: ForegroundCache): SradTensorBatch {
  const images: RgbImage[] = [];
  const masks: Mask[] = [];
  raw.items.forEach((d, i) => {
    const foreground = opts.foreground === 'auto' ? cache.get(sampleKey(d.sample), d.image) : null;
    const s = synthesizeAnomalyFromSeed(d.image, raw.seeds[i] as number, {
      kind: 'mixed',
      textures: opts.textures,
      foreground,
      normalProbability: opts.normalProbability,
    });
    images.push(s.image);
    masks.push(s.mask);
  });
  return tf.tidy(() => ({
    image: imagesToTensor(images),
    clean: imagesToTensor(raw.items.map((d) => d.image)),
    mask: masksToTensor(masks),
  }));
}
