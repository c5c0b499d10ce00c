// Separable Gaussian blur of anomaly maps [N,H,W,1], with scipy.ndimage.gaussian_filter's conventions
// (truncate 4 sigma, mirrored borders) and sigma scaled with image size. Maps only: no resizing or scoring.
import * as tf from '@tensorflow/tfjs';
import { MadenetError } from '../../pipeline/core/errors.js';

/** SimpleNet smooths with sigma 4 at 288 px input; other sizes scale sigma linearly. */
export const SIGMA_REFERENCE_SIZE = 288;

export function scaledSigma(sigma: number, imageSize: number, referenceSize = SIGMA_REFERENCE_SIZE): number {
  return (sigma * imageSize) / referenceSize;
}

/** Normalised 1-D Gaussian taps, radius round(truncate * sigma) capped at maxRadius. */
export function gaussianKernel1d(sigma: number, truncate = 4, maxRadius = Number.POSITIVE_INFINITY): Float32Array {
  const radius = Math.max(0, Math.min(Math.round(truncate * sigma), maxRadius));
  const taps = new Float32Array(2 * radius + 1);
  let sum = 0;
  for (let i = -radius; i <= radius; i++) {
    const v = Math.exp((-0.5 * i * i) / (sigma * sigma));
    taps[i + radius] = v;
    sum += v;
  }
  for (let i = 0; i < taps.length; i++) taps[i] = (taps[i] as number) / sum;
  return taps;
}

/**
 * [N,H,W,1] -> [N,H,W,1] blurred with a Gaussian of `sigma` pixels (no scaling here: pass scaledSigma()).
 * Borders mirror the edge pixel (scipy 'reflect'); a radius larger than the map is capped at its size.
 */
export function gaussianSmooth(x: tf.Tensor4D, sigma: number): tf.Tensor4D {
  const [, h, w, c] = x.shape;
  if (c !== 1) throw new MadenetError('E_CONFIG', `Gaussian smoothing expects [N,H,W,1] maps, but got ${c} channels.`);
  if (!(sigma > 0)) return x.clone();
  return tf.tidy(() => {
    const taps = gaussianKernel1d(sigma, 4, Math.min(h, w));
    const r = (taps.length - 1) / 2;
    if (r === 0) return x.clone();
    const padded = tf.mirrorPad(x, [[0, 0], [r, r], [r, r], [0, 0]], 'symmetric');
    const vertical = tf.conv2d(padded, tf.tensor4d(taps, [taps.length, 1, 1, 1]), 1, 'valid');
    return tf.conv2d(vertical, tf.tensor4d(taps, [1, taps.length, 1, 1]), 1, 'valid');
  });
}

/**
 * Patch scores [N,h,w,1] -> anomaly maps [N,S,S] at image size S: bilinear upsampling (half-pixel centres)
 * then a Gaussian of scaledSigma(sigma, S). Shared by the feature-space models (SFAD, LPD).
 */
export function patchScoresToMap(scores: tf.Tensor4D, imageSize: number, sigma: number): tf.Tensor3D {
  return tf.tidy(() => {
    const up = tf.image.resizeBilinear(scores, [imageSize, imageSize], false, true);
    const smooth = gaussianSmooth(up, scaledSigma(sigma, imageSize));
    return smooth.squeeze([3]) as tf.Tensor3D;
  });
}
