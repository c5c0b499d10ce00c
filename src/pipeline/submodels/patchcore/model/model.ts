// The PatchCore forward pass: frozen extractor -> locally aware patch features -> exact nearest-neighbour
// distance to the memory bank per patch (and per image for the optional global descriptor) -> map and score.
// No training: the bank is built by the caller (coreset.ts) from train-normal features.
import * as tf from '@tensorflow/tfjs';
import { extractFeatures } from '../../../../models/components/feature-extractor.js';
import { patchcoreAnomalyMap, patchcoreImageScore, type ScoreNormalization } from './anomaly-map.js';
import type { PatchcoreConfig } from './config.js';
import { nearestDistances } from './knn.js';
import { globalFeatures, patchFeatures, withPositions } from './patch-features.js';

export interface PatchcoreBanks {
  /** [M,D] coreset of train patch features. */
  patches: tf.Tensor2D;
  /** [T,G] global descriptors of the train images, or null. */
  global: tf.Tensor2D | null;
  norm: ScoreNormalization | null;
}

export interface PatchcoreFeatures {
  /** [N,h,w,D] */
  patches: tf.Tensor4D;
  /** [N,G] or null */
  global: tf.Tensor2D | null;
}

/** images [N,S,S,3] in [0,1] -> patch features and (if configured) global descriptors. Extractor outputs: layers, then globalLayer. */
export function patchcoreFeatures(extractor: tf.LayersModel, images: tf.Tensor4D, cfg: PatchcoreConfig): PatchcoreFeatures {
  const maps = extractFeatures(extractor, images);
  try {
    return patchcoreFeaturesFromMaps(maps, cfg);
  } finally {
    tf.dispose(maps);
  }
}

/**
 * The extractor's output maps (layers, then globalLayer; from tfjs or from onnxruntime, features/onnx-features.ts)
 * -> patch features and global descriptors. The caller owns `maps`.
 */
export function patchcoreFeaturesFromMaps(maps: readonly tf.Tensor4D[], cfg: PatchcoreConfig): PatchcoreFeatures {
  // tf.tidy keeps tensors only (no nulls), hence the pair with an optional second element.
  const [patches, global] = tf.tidy(() => {
    const g = cfg.globalLayer ? maps[cfg.layers.length] : undefined;
    const local = patchFeatures(maps.slice(0, cfg.layers.length), cfg.patchSize);
    return [cfg.positionWeight > 0 ? withPositions(local, cfg.positionWeight) : local, g ? globalFeatures(g) : undefined];
  }) as [tf.Tensor4D, tf.Tensor2D | undefined];
  return { patches, global: global ?? null };
}

export interface PatchcoreOutput {
  /** [N,h,w,1] nearest-neighbour distance of every patch. */
  patchDistances: tf.Tensor4D;
  /** [N] max patch distance. */
  patchMax: tf.Tensor1D;
  /** [N] global kNN distance, or null. */
  global: tf.Tensor1D | null;
}

/** Features -> distances to the banks. Synchronous; call inside tf.tidy or dispose the outputs. */
export function patchcoreDistances(features: PatchcoreFeatures, banks: Pick<PatchcoreBanks, 'patches' | 'global'>): PatchcoreOutput {
  const [patchDistances, patchMax, global] = tf.tidy(() => {
    const [n, h, w, d] = features.patches.shape;
    const { dist } = nearestDistances(features.patches.reshape([n * h * w, d]) as tf.Tensor2D, banks.patches);
    const g = features.global && banks.global ? nearestDistances(features.global, banks.global).dist : undefined;
    return [dist.reshape([n, h, w, 1]), tf.max(dist.reshape([n, h * w]), 1), g];
  }) as [tf.Tensor4D, tf.Tensor1D, tf.Tensor1D | undefined];
  return { patchDistances, patchMax, global: global ?? null };
}

/**
 * The patch term of the image score [N]: the max raw patch distance (scoreTopFraction 0), or the mean of the
 * top scoreTopFraction of the smoothed map's pixels (maps [N,S,S], required then).
 */
export function patchScoreTerm(patchMax: tf.Tensor1D, maps: tf.Tensor3D, cfg: Pick<PatchcoreConfig, 'scoreTopFraction'>): tf.Tensor1D {
  if (cfg.scoreTopFraction <= 0) return patchMax.clone();
  return tf.tidy(() => {
    const [n, h, w] = maps.shape;
    const k = Math.max(1, Math.min(h * w, Math.ceil(cfg.scoreTopFraction * h * w)));
    return tf.mean(tf.topk(maps.reshape([n, h * w]) as tf.Tensor2D, k, false).values, 1) as tf.Tensor1D;
  });
}

/** images -> { scores [N], maps [N,S,S] }. */
export function patchcorePredict(extractor: tf.LayersModel, banks: PatchcoreBanks, cfg: PatchcoreConfig, images: tf.Tensor4D): { scores: tf.Tensor1D; maps: tf.Tensor3D } {
  return tf.tidy(() => patchcorePredictFromFeatures(patchcoreFeatures(extractor, images, cfg), banks, cfg));
}

/** Patch features (and global descriptors) -> { scores [N], maps [N,S,S] }: everything after the backbone. */
export function patchcorePredictFromFeatures(features: PatchcoreFeatures, banks: PatchcoreBanks, cfg: PatchcoreConfig): { scores: tf.Tensor1D; maps: tf.Tensor3D } {
  return tf.tidy(() => {
    const out = patchcoreDistances(features, banks);
    const maps = patchcoreAnomalyMap(out.patchDistances, cfg.imageSize, cfg.smoothingSigma);
    return { scores: patchcoreImageScore(patchScoreTerm(out.patchMax, maps, cfg), out.global, cfg.globalWeight, banks.norm), maps };
  });
}
