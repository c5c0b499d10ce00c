// A cheaper gradient for FusedBatchNorm with per-channel statistics (what every BN layer uses): two channel
// reductions and one broadcast multiply, where tfjs-core 4.22 tiles the statistics to the full tensor size.
import * as tf from '@tensorflow/tfjs';

/**
 * y = (x - mean) * rs * scale + offset, rs = 1/sqrt(variance + eps); with S = sum(dy) and
 * P = sum(dy * (x - mean)) over all axes but the last:
 * dx = dy * scale * rs; dmean = -scale * rs * S; dvariance = -0.5 * scale * rs^3 * P; dscale = rs * P; doffset = S.
 */
export function fusedBatchNormGrad(stock: tf.GradConfig): tf.GradConfig {
  return {
    kernelName: tf.FusedBatchNorm,
    inputsToSave: ['x', 'mean', 'variance', 'scale'],
    gradFunc: (dy, saved, attrs) => {
      const [x, mean, variance, scale] = saved;
      const channels = x.shape[x.rank - 1];
      if (mean.rank !== 1 || mean.shape[0] !== channels || variance.rank !== 1) {
        return stock.gradFunc(dy, saved, attrs);
      }
      const g = Array.isArray(dy) ? dy[0] : dy;
      const eps = (attrs as { varianceEpsilon: number }).varianceEpsilon;
      const axes = Array.from({ length: x.rank - 1 }, (_, i) => i);
      // Computed once for the five partial derivatives; the engine disposes them after the backward pass.
      const rs = tf.rsqrt(tf.add(variance, eps));
      const scaleRs = scale == null ? rs : tf.mul(scale, rs);
      const s = tf.sum(g, axes);
      const p = tf.tidy(() => tf.sum(tf.mul(g, tf.sub(x, mean)), axes));
      return {
        x: () => tf.mul(g, scaleRs),
        mean: () => tf.neg(tf.mul(scaleRs, s)),
        variance: () => tf.mul(tf.mul(scaleRs, tf.square(rs)), tf.mul(p, -0.5)),
        scale: () => tf.mul(rs, p),
        offset: () => tf.clone(s),
      };
    },
  };
}

let registered = false;

/** Replaces the FusedBatchNorm gradient for every backend (the formula is exact; only the cost changes). */
export function registerBatchNormGradient(): void {
  if (registered) return;
  const stock = tf.getGradient(tf.FusedBatchNorm);
  if (stock === undefined) throw new Error('tfjs-core registered no FusedBatchNorm gradient to replace.');
  tf.registerGradient(fusedBatchNormGrad(stock));
  registered = true;
}
