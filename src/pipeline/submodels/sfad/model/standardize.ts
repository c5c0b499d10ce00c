// Per-channel standardisation of SFAD's frozen features, trained through and then folded into the adaptor.
// Random and self-supervised backbones give channels whose spreads differ by orders of magnitude; isotropic noise
// then perturbs only the narrow channels noticeably, and the wide ones dominate the adaptor. Standardising first
// makes the noise scale mean the same thing for every channel and every backbone. Because the adaptor is linear,
// q = W (f - mu) / sigma + b = W' f + b', so a saved artifact is an ordinary adaptor and inference never changes.
import * as tf from '@tensorflow/tfjs';

export interface FeatureStats {
  /** Per-channel mean [D] of the training features. */
  mean: Float32Array;
  /** Per-channel standard deviation [D], floored (see STD_FLOOR_FRACTION). */
  std: Float32Array;
}

/**
 * Channels whose spread is below this share of the mean spread are divided by the floor instead: dead ReLU
 * channels are constant on normal images, and dividing by ~0 would make any test-time activation explode.
 */
export const STD_FLOOR_FRACTION = 0.1;

export interface ChannelMoments {
  mean: Float32Array;
  /** Population std per channel, unfloored. */
  std: Float64Array;
  /** Locations summed over. */
  count: number;
}

/** Per-channel mean and population std (unfloored) over every location of `rows`, and the number of locations. */
export function channelMoments(rows: readonly Float32Array[], dim: number): ChannelMoments {
  const sum = new Float64Array(dim);
  const sq = new Float64Array(dim);
  let count = 0;
  for (const f of rows) {
    if (f.length % dim !== 0) throw new Error(`feature rows of ${f.length} values are not a multiple of ${dim} channels`);
    for (let o = 0; o < f.length; o += dim) {
      for (let c = 0; c < dim; c++) {
        const v = f[o + c] as number;
        sum[c] = (sum[c] as number) + v;
        sq[c] = (sq[c] as number) + v * v;
      }
      count++;
    }
  }
  const mean = Float32Array.from(sum, (s0) => s0 / Math.max(count, 1));
  const std = Float64Array.from(sq, (q, c) => Math.sqrt(Math.max(0, q / Math.max(count, 1) - ((sum[c] as number) / Math.max(count, 1)) ** 2)));
  return { mean, std, count };
}

/** Mean over channels of each channel's (unfloored) std: the features' overall spread; null under 2 locations. */
export function meanSpread(m: ChannelMoments): number | null {
  return m.count < 2 ? null : m.std.reduce((a, b) => a + b, 0) / m.std.length;
}

/** Standardisation statistics from moments: the mean, and each std floored at STD_FLOOR_FRACTION of the spread. */
export function statsFromMoments(m: ChannelMoments): FeatureStats {
  const spread = meanSpread(m);
  if (spread === null) throw new Error(`feature statistics need at least 2 locations, got ${m.count}`);
  const floor = Math.max(STD_FLOOR_FRACTION * spread, 1e-12);
  return { mean: m.mean, std: Float32Array.from(m.std, (x) => Math.max(x, floor)) };
}

/** Mean and (floored) std of each of `dim` channels over all rows of `rows` ([locations * dim] each). */
export function featureStats(rows: readonly Float32Array[], dim: number): FeatureStats {
  return statsFromMoments(channelMoments(rows, dim));
}

/** Standardises rows of interleaved [.., D] features in place: (f - mean) / std per channel. */
export function standardizeRows(rows: readonly Float32Array[], stats: FeatureStats): void {
  const dim = stats.mean.length;
  for (const f of rows) {
    for (let o = 0; o < f.length; o += dim) {
      for (let c = 0; c < dim; c++) f[o + c] = ((f[o + c] as number) - (stats.mean[c] as number)) / (stats.std[c] as number);
    }
  }
}

/** The same on a tensor [..., D] (for features recomputed per batch); synchronous, returns a new tensor. */
export function standardizeTensor<T extends tf.Tensor>(x: T, stats: FeatureStats): T {
  return tf.tidy(() => x.sub(tf.tensor1d(stats.mean)).div(tf.tensor1d(stats.std)) as T);
}

/**
 * Writes into `target` (an adaptor of the same width) the weights that apply `source` to raw features:
 * kernel W' = W / std (row-wise), bias b' = b - (mean / std) W. `source` works on standardised features.
 */
export function foldStandardization(source: tf.LayersModel, target: tf.LayersModel, stats: FeatureStats): void {
  const [kernel, bias] = source.getLayer('adaptor.fc').getWeights() as [tf.Tensor2D, tf.Tensor1D];
  const folded = tf.tidy(() => {
    const inv = tf.tensor1d(stats.std).reciprocal();
    const k = kernel.mul(inv.expandDims(1)) as tf.Tensor2D;
    const shift = tf.tensor1d(stats.mean).mul(inv).expandDims(0).matMul(kernel).squeeze([0]);
    return [k, bias.sub(shift)];
  });
  target.getLayer('adaptor.fc').setWeights(folded);
  tf.dispose(folded);
}
