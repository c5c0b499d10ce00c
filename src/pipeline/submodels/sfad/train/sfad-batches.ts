// SFAD's training batches of frozen-backbone features. The backbone never changes and SimpleNet does not
// augment, so each image's features are computed once into a bank when they fit a byte budget (in sorted
// path order, so the bank is the same for a resumed run); beyond it they are recomputed per batch.
import * as tf from '@tensorflow/tfjs';
import type { SfadConfig } from '../model/config.js';
import { sfadFeatures } from '../model/model.js';
import { featureStats, standardizeTensor, type FeatureStats } from '../model/standardize.js';
import type { Sample } from '../../../io/dataset.js';
import type { RgbImage } from '../../../io/image.js';
import { Rng } from '../../../core/random.js';
import { epochStream, fullBatches } from '../../../train/data.js';
import { extractOnce } from '../../../features/extract.js';
import type { FeatureCache } from '../../../features/feature-cache.js';
import type { OnnxFeatures } from '../../../features/onnx-features.js';
import { layerStride } from '../../../weights/backbone-registry.js';
import { imagesToTensor } from '../../../train/tensors.js';

/** Default memory for banked features (about 1,900 images at the small preset, 90 at paper). */
export const DEFAULT_FEATURE_BUDGET = 768 * 1024 * 1024;

export interface SfadBatch {
  size: number;
  /** Features [N,h,w,D] of the batch's images; the caller disposes them. */
  features(): tf.Tensor4D;
}

/** Steps per epoch: every training image once (dropping a short last batch), and at least one batch. */
export function sfadStepsPerEpoch(trainImages: number, batchSize: number): number {
  return Math.max(1, Math.floor(trainImages / batchSize));
}

/** Side of the feature map: the image size over the finest chosen layer's stride (S/8 for layer2; ResNet when no backbone is named). */
export function featureSide(cfg: Pick<SfadConfig, 'imageSize' | 'layers'> & { backbone?: string }): number {
  return cfg.imageSize / Math.min(...cfg.layers.map((l) => layerStride(cfg.backbone ?? 'resnet18', l)));
}

/** Bytes of one image's features: side^2 locations x D float32. */
export function featureBytes(cfg: Pick<SfadConfig, 'imageSize' | 'featureDim' | 'layers'> & { backbone?: string }): number {
  const side = featureSide(cfg);
  return side * side * cfg.featureDim * 4;
}

/**
 * Features of every sample in order, computed in chunks of `batchSize`; null when they exceed the budget.
 * With a cache, each image's features are read from / written to it (keyed by file content and `cache.extractorKey`,
 * which must name everything that changes them), so a second run on the same images skips the backbone.
 */
export async function featureBank(
  extractor: tf.LayersModel,
  samples: readonly Sample[],
  cfg: SfadConfig,
  opts: {
    batchSize: number;
    budgetBytes?: number;
    cache?: { store: FeatureCache; extractorKey: string } | null;
    /** Runs the extractor and aggregation through onnxruntime instead of tfjs (features/onnx-features.ts). */
    onnx?: OnnxFeatures | null;
  },
): Promise<Float32Array[] | null> {
  if (samples.length * featureBytes(cfg) > (opts.budgetBytes ?? DEFAULT_FEATURE_BUDGET)) return null;
  const rows = await extractOnce(samples, {
    size: cfg.imageSize,
    batchSize: opts.batchSize,
    cache: opts.cache ?? null,
    compute: async (images: RgbImage[]) => {
      if (opts.onnx) {
        const { data } = await opts.onnx.run(images);
        const per = data.length / images.length;
        return images.map((_, i) => [data.slice(i * per, (i + 1) * per)]);
      }
      const f = tf.tidy(() => sfadFeatures(extractor, imagesToTensor(images), cfg));
      try {
        const data = (await f.data()) as Float32Array;
        const per = data.length / f.shape[0];
        return images.map((_, i) => [data.slice(i * per, (i + 1) * per)]);
      } finally {
        f.dispose();
      }
    },
  });
  return rows.map((r) => r[0] as Float32Array);
}

/** Images whose features give the standardisation statistics when the features are not banked. */
export const STATS_SAMPLE_IMAGES = 64;

/**
 * Standardisation statistics when the features are not banked: over the features of the first
 * STATS_SAMPLE_IMAGES training images in sorted order, so a resumed run computes the same numbers.
 */
export async function sampledFeatureStats(extractor: tf.LayersModel, samples: readonly Sample[], cfg: SfadConfig, batchSize: number): Promise<FeatureStats> {
  const rows = await featureBank(extractor, samples.slice(0, STATS_SAMPLE_IMAGES), cfg, { batchSize, budgetBytes: Number.POSITIVE_INFINITY });
  return featureStats(rows ?? [], cfg.featureDim);
}

/**
 * The batches of one epoch, in an order fixed by (seed, epoch): from the bank (already standardised when the
 * run standardises), or decoded, extracted and standardised with `stats`.
 */
export async function* sfadEpochBatches(
  samples: readonly Sample[],
  opts: {
    seed: number;
    epoch: number;
    batchSize: number;
    stepsPerEpoch: number;
    cfg: SfadConfig;
    extractor: tf.LayersModel;
    bank: Float32Array[] | null;
    stats?: FeatureStats | null;
  },
): AsyncGenerator<SfadBatch> {
  const want = opts.stepsPerEpoch * opts.batchSize;
  const side = featureSide(opts.cfg);
  const shape = (n: number): [number, number, number, number] => [n, side, side, opts.cfg.featureDim];
  if (opts.bank) {
    const bank = opts.bank;
    const rng = new Rng((opts.seed * 1000003 + opts.epoch) >>> 0);
    const order: number[] = [];
    while (order.length < want) order.push(...rng.shuffle(bank.map((_, i) => i)));
    for (let b = 0; b < opts.stepsPerEpoch; b++) {
      const idx = order.slice(b * opts.batchSize, (b + 1) * opts.batchSize);
      yield {
        size: idx.length,
        features: () => {
          const per = (bank[0] as Float32Array).length;
          const buf = new Float32Array(per * idx.length);
          idx.forEach((k, i) => buf.set(bank[k] as Float32Array, i * per));
          return tf.tensor4d(buf, shape(idx.length));
        },
      };
    }
    return;
  }
  const stream = epochStream(samples, { seed: opts.seed, epoch: opts.epoch, size: opts.cfg.imageSize, repeatTo: want });
  for await (const items of fullBatches(stream, opts.batchSize)) {
    yield {
      size: items.length,
      // Extracted only when the step runs, so batches a resume skips cost a decode only.
      features: () =>
        tf.tidy(() => {
          const f = sfadFeatures(opts.extractor, imagesToTensor(items.map((d) => d.image)), opts.cfg);
          return opts.stats ? standardizeTensor(f, opts.stats) : f;
        }),
    };
  }
}
