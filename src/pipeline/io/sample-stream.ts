// Decodes a list of Samples in order with bounded concurrency: image (and mask) per sample, resized to
// size x size (a tile sample: only its region). Only concurrency + prefetch samples are ever decoded ahead of the consumer.
import { availableParallelism } from 'node:os';
import { MadenetError } from '../core/errors.js';
import { boundedMap } from './bounded-map.js';
import type { Sample } from './dataset-types.js';
import { decodeImageWithSize, decodeMask } from './decode.js';
import type { Mask, RgbImage } from './image.js';

export interface StreamSamplesOptions {
  /** Square output size in pixels; omit to keep each file's own size. */
  size?: number;
  /** Decodes at once; default min(4, cores) (sharp runs on libuv's pool of 4 threads). */
  concurrency?: number;
  /** Decoded samples kept ready ahead of the consumer; default equals concurrency. */
  prefetch?: number;
  /** Decode ground-truth masks of anomalous samples (null for normal ones and where none exists). */
  withMasks?: boolean;
  /** Skip samples whose image cannot be decoded (E_DECODE, E_IMAGE_TOO_SMALL) instead of failing. */
  skipBadImages?: boolean;
  /** Told about every skipped sample, so callers can count and report them. */
  onSkip?: (sample: Sample, error: MadenetError) => void;
}

export interface DecodedSample {
  sample: Sample;
  /** [H,W,3] in [0,1]. */
  image: RgbImage;
  /** [H,W] in {0,1} at the image's size, or null. */
  mask: Mask | null;
}

interface Skipped {
  sample: Sample;
  error: MadenetError;
}

const SKIPPABLE = new Set(['E_DECODE', 'E_IMAGE_TOO_SMALL']);

export function defaultConcurrency(): number {
  return Math.max(1, Math.min(4, availableParallelism()));
}

export async function* streamSamples(
  samples: Iterable<Sample> | AsyncIterable<Sample>,
  opts: StreamSamplesOptions = {},
): AsyncGenerator<DecodedSample> {
  const concurrency = opts.concurrency ?? defaultConcurrency();
  const decodeOne = async (sample: Sample): Promise<DecodedSample | Skipped> => {
    try {
      const decoded = await decodeImageWithSize(sample.path, { ...(opts.size === undefined ? {} : { size: opts.size }), ...(sample.region ? { region: sample.region } : {}) });
      let mask: Mask | null = null;
      if (opts.withMasks && sample.maskPath !== null) {
        mask = await decodeMask(sample.maskPath, {
          width: decoded.image.width,
          height: decoded.image.height,
          expect: { width: decoded.sourceWidth, height: decoded.sourceHeight, imagePath: sample.path },
          ...(sample.region ? { region: sample.region } : {}),
        });
      }
      return { sample, image: decoded.image, mask };
    } catch (err) {
      if (opts.skipBadImages && err instanceof MadenetError && SKIPPABLE.has(err.code)) return { sample, error: err };
      throw err;
    }
  };
  for await (const out of boundedMap(samples, decodeOne, { concurrency, prefetch: opts.prefetch ?? concurrency })) {
    if ('error' in out) opts.onSkip?.(out.sample, out.error);
    else yield out;
  }
}
