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
import { compareSamples } from '../io/tiles.js';

export interface HoldOut {
  train: Sample[];
  validation: Sample[];
}

/**
 * Sets aside a seeded fraction (at least one image when there are >= 2) of the given samples for validation.
 * Counted in images: the tiles of one image (samples sharing a path) go to the same side, all of them.
 */
export function holdOut(samples: readonly Sample[], fraction: number, seed: number, maxValidation = 64): HoldOut {
  if (samples.length === 0) throw new MadenetError('E_NO_IMAGES', 'No training images to split into train and validation.');
  // For whole images (one sample per path) this is the plain shuffle of the samples it always was.
  const paths = [...new Set(samples.map((s) => s.path))].sort((a, b) => (a < b ? -1 : 1));
  const order = new Rng(seed ^ 0x5a17).shuffle(paths);
  const nVal = paths.length < 2 ? 0 : Math.min(maxValidation, Math.max(1, Math.round(order.length * fraction)));
  const held = new Set(order.slice(0, nVal));
  const validation = samples.filter((s) => held.has(s.path)).sort(compareSamples);
  const train = samples.filter((s) => !held.has(s.path)).sort(compareSamples);
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
  return boundedMap(order, async (sample) => ({ sample, image: await decodeImage(sample.path, { size: opts.size, ...(sample.region ? { region: sample.region } : {}) }) }), {
    concurrency: opts.concurrency ?? 4,
    prefetch: opts.prefetch ?? 4,
  });
}

/** Groups a stream into fixed-size batches, dropping a short last batch (batch norm dislikes tiny batches). */
export function fullBatches<T>(source: AsyncIterable<T>, size: number): AsyncGenerator<T[]> {
  return batches(source, size, { dropShort: true });
}
