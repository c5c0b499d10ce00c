// SimpleNet-style patch features from backbone maps: local 3x3 neighbourhood averaging per layer, bilinear
// resize to the largest map, concat, and a fixed (non-learned) adaptive average pool over channels to D dims.
import * as tf from '@tensorflow/tfjs';
import { MadenetError } from '../../pipeline/core/errors.js';

export interface AggregationOptions {
  /** Neighbourhood size p of the local average (SimpleNet's patchsize 3). 1 disables it. */
  patchSize?: number;
  /** Output channels D of the channel projection. */
  featureDim: number;
}

/** [N,h,w,C] -> [N,h,w,C]: mean over the p x p window (stride 1, same padding; borders average the valid cells). */
export function localAggregate(x: tf.Tensor4D, patchSize = 3): tf.Tensor4D {
  if (patchSize <= 1) return x.clone();
  return tf.avgPool(x, patchSize, 1, 'same');
}

const poolMatrices = new Map<string, Float32Array>();

/**
 * The [C,D] matrix of PyTorch's adaptive_avg_pool1d from C to D: output j averages inputs
 * floor(j*C/D) .. ceil((j+1)*C/D)-1 (for D > C the inputs are repeated).
 */
export function adaptivePoolMatrix(inChannels: number, outChannels: number): Float32Array {
  const key = `${inChannels}x${outChannels}`;
  const cached = poolMatrices.get(key);
  if (cached) return cached;
  const m = new Float32Array(inChannels * outChannels);
  for (let j = 0; j < outChannels; j++) {
    const start = Math.floor((j * inChannels) / outChannels);
    const end = Math.ceil(((j + 1) * inChannels) / outChannels);
    for (let i = start; i < end; i++) m[i * outChannels + j] = 1 / (end - start);
  }
  poolMatrices.set(key, m);
  return m;
}

/** [N,h,w,C] -> [N,h,w,D] by adaptive average pooling over the channel axis (a fixed matmul). */
export function projectChannels(x: tf.Tensor4D, featureDim: number): tf.Tensor4D {
  const [n, h, w, c] = x.shape;
  if (c === featureDim) return x.clone();
  return tf.tidy(() => {
    const pool = tf.tensor2d(adaptivePoolMatrix(c, featureDim), [c, featureDim]);
    return tf.matMul(x.reshape([n * h * w, c]), pool).reshape([n, h, w, featureDim]) as tf.Tensor4D;
  });
}

/**
 * Backbone maps [N,h_i,w_i,C_i] (any order) -> patch features [N,h,w,D], where h x w is the largest map.
 * Resizing is bilinear with half-pixel centres (PyTorch align_corners=False).
 */
export function aggregateFeatures(maps: readonly tf.Tensor4D[], opts: AggregationOptions): tf.Tensor4D {
  if (maps.length === 0) throw new MadenetError('E_CONFIG', 'No feature maps to aggregate; expected at least one backbone layer.');
  if (!(opts.featureDim >= 1)) throw new MadenetError('E_CONFIG', `Feature dim must be a positive integer, but got ${opts.featureDim}.`);
  return tf.tidy(() => {
    const largest = maps.reduce((a, b) => (b.shape[1] * b.shape[2] > a.shape[1] * a.shape[2] ? b : a));
    const size: [number, number] = [largest.shape[1], largest.shape[2]];
    const parts = maps.map((m) => {
      const local = localAggregate(m, opts.patchSize ?? 3);
      return local.shape[1] === size[0] && local.shape[2] === size[1] ? local : tf.image.resizeBilinear(local, size, false, true);
    });
    const joined = parts.length === 1 ? (parts[0] as tf.Tensor4D) : tf.concat(parts, 3);
    return projectChannels(joined, opts.featureDim);
  });
}
