// Data plumbing for the training loops: a seeded hold-out of train normals for validation, and per-epoch
// streams of decoded images in a seeded order. Decoding is bounded and streamed; nothing is cached, so
// memory does not grow with the dataset.
import type { Sample } from '../io/dataset.js';
import type { RgbImage } from '../io/image.js';
import { decodeImage } from '../io/decode.js';
import { boundedMap } from '../io/bounded-map.js';
import { batches } from '../io/batch.js';
import { Rng } from '../core/random.js';
import { MadenetError } from '../core/errors.js';

export interface HoldOut {
  train: Sample[];
  validation: Sample[];
}

/** Sets aside a seeded fraction (at least one image when there are >= 2) of the given samples for validation. */
export function holdOut(samples: readonly Sample[], fraction: number, seed: number, maxValidation = 64): HoldOut {
  if (samples.length === 0) throw new MadenetError('E_NO_IMAGES', 'No training images to split into train and validation.');
  const order = new Rng(seed ^ 0x5a17).shuffle([...samples].sort((a, b) => (a.path < b.path ? -1 : 1)));
  const nVal = samples.length < 2 ? 0 : Math.min(maxValidation, Math.max(1, Math.round(order.length * fraction)));
  const validation = order.slice(0, nVal).sort((a, b) => (a.path < b.path ? -1 : 1));
  const train = order.slice(nVal).sort((a, b) => (a.path < b.path ? -1 : 1));
  return { train, validation };
}

export interface DecodedSample {
  sample: Sample;
  image: RgbImage;
}

/** The samples of one epoch in an order fixed by (seed, epoch), decoded with bounded concurrency. */
export function epochStream(
  samples: readonly Sample[],
  opts: { seed: number; epoch: number; size: number; concurrency?: number; prefetch?: number; repeatTo?: number },
): AsyncGenerator<DecodedSample> {
  const rng = new Rng((opts.seed * 1000003 + opts.epoch) >>> 0);
  const order: Sample[] = [];
  const want = Math.max(opts.repeatTo ?? samples.length, samples.length);
  while (order.length < want) order.push(...rng.shuffle([...samples]));
  order.length = want;
  return boundedMap(order, async (sample) => ({ sample, image: await decodeImage(sample.path, { size: opts.size }) }), {
    concurrency: opts.concurrency ?? 4,
    prefetch: opts.prefetch ?? 4,
  });
}

/** Groups a stream into fixed-size batches, dropping a short last batch (batch norm dislikes tiny batches). */
export function fullBatches<T>(source: AsyncIterable<T>, size: number): AsyncGenerator<T[]> {
  return batches(source, size, { dropShort: true });
}
