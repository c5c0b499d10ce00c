// LPD localisation state: a Gaussian density per feature-map location (mean + shrunk covariance of patch
// embeddings of normal training images, PaDiM-style) and the Mahalanobis distance under it. No files here.
import * as tf from '@tensorflow/tfjs';
import { MadenetError } from '../../../core/errors.js';

/** Fitted GDE: per location l = y*w + x, mean [L,D] and inverse covariance [L,D,D], row-major float32. */
export interface GdeState {
  height: number;
  width: number;
  dim: number;
  /** Number of images it was fitted on. */
  count: number;
  mean: Float32Array;
  covInv: Float32Array;
}

export interface GdeOptions {
  /** alpha in (1 - alpha) S + alpha (tr S / D) I + epsilon I. */
  shrinkage: number;
  epsilon: number;
}

/** Running sums of x and x x^T per location, in float64 so that long streams do not lose precision. */
export interface GdeAccumulator {
  height: number;
  width: number;
  dim: number;
  count: number;
  sum: Float64Array;
  outer: Float64Array;
}

export function gdeAccumulator(height: number, width: number, dim: number): GdeAccumulator {
  const l = height * width;
  return { height, width, dim, count: 0, sum: new Float64Array(l * dim), outer: new Float64Array(l * dim * dim) };
}

/** Adds a batch of embeddings [N,h,w,D] to the running sums (the tensor is not disposed). */
export async function gdeAccumulate(acc: GdeAccumulator, embeddings: tf.Tensor4D): Promise<void> {
  const [n, h, w, d] = embeddings.shape;
  if (h !== acc.height || w !== acc.width || d !== acc.dim) {
    throw new MadenetError('E_CONFIG', `GDE embeddings of shape [${h},${w},${d}] do not match the fitted [${acc.height},${acc.width},${acc.dim}].`);
  }
  const [sum, outer] = tf.tidy(() => {
    const perLoc = embeddings.reshape([n, h * w, d]).transpose([1, 0, 2]); // [L,N,D]
    return [perLoc.sum(1), tf.matMul(perLoc, perLoc, true, false)]; // [L,D], [L,D,D]
  });
  const [s, o] = await Promise.all([sum.data(), outer.data()]);
  sum.dispose();
  outer.dispose();
  for (let i = 0; i < s.length; i++) acc.sum[i] = (acc.sum[i] as number) + (s[i] as number);
  for (let i = 0; i < o.length; i++) acc.outer[i] = (acc.outer[i] as number) + (o[i] as number);
  acc.count += n;
}

/** Mean and inverse of the shrunk (unbiased) covariance per location; needs at least one image. */
export function gdeFinish(acc: GdeAccumulator, opts: GdeOptions): GdeState {
  const { height, width, dim: d, count: n } = acc;
  if (n < 1) throw new MadenetError('E_CONFIG', 'The GDE was given no embeddings; expected at least one normal training image.');
  const l = height * width;
  const mean = new Float32Array(l * d);
  const covInv = new Float32Array(l * d * d);
  const mu = new Float64Array(d);
  const cov = new Float64Array(d * d);
  for (let loc = 0; loc < l; loc++) {
    for (let i = 0; i < d; i++) mu[i] = (acc.sum[loc * d + i] as number) / n;
    const base = loc * d * d;
    let trace = 0;
    for (let i = 0; i < d; i++) {
      for (let j = 0; j < d; j++) {
        const c = n > 1 ? ((acc.outer[base + i * d + j] as number) - n * (mu[i] as number) * (mu[j] as number)) / (n - 1) : 0;
        cov[i * d + j] = (1 - opts.shrinkage) * c;
        if (i === j) trace += c;
      }
    }
    for (let i = 0; i < d; i++) cov[i * d + i] = (cov[i * d + i] as number) + (opts.shrinkage * trace) / d + opts.epsilon;
    const inv = spdInverse(cov, d);
    for (let i = 0; i < d; i++) mean[loc * d + i] = mu[i] as number;
    for (let k = 0; k < d * d; k++) covInv[base + k] = inv[k] as number;
  }
  return { height, width, dim: d, count: n, mean, covInv };
}

/** Fits the GDE on a stream of embedding batches [N,h,w,D]; each batch is disposed once read. */
export async function lpdGdeFit(batches: AsyncIterable<tf.Tensor4D> | Iterable<tf.Tensor4D>, opts: GdeOptions): Promise<GdeState> {
  let acc: GdeAccumulator | null = null;
  for await (const batch of batches) {
    try {
      acc ??= gdeAccumulator(batch.shape[1], batch.shape[2], batch.shape[3]);
      await gdeAccumulate(acc, batch);
    } finally {
      batch.dispose();
    }
  }
  if (acc === null) throw new MadenetError('E_CONFIG', 'The GDE was given no embeddings; expected at least one normal training image.');
  return gdeFinish(acc, opts);
}

/** Mahalanobis distance per location: embeddings [N,h,w,D] -> [N,h,w,1], >= 0, higher = more anomalous. */
export function lpdGdeScores(state: GdeState, embeddings: tf.Tensor4D): tf.Tensor4D {
  const [n, h, w, d] = embeddings.shape;
  if (h !== state.height || w !== state.width || d !== state.dim) {
    throw new MadenetError('E_CONFIG', `Embeddings of shape [${h},${w},${d}] do not match the GDE fitted at [${state.height},${state.width},${state.dim}].`, {
      suggestions: ['Use the image size and preset the LPD model was trained with.'],
    });
  }
  return tf.tidy(() => {
    const l = h * w;
    const mean = tf.tensor3d(state.mean, [l, 1, d]);
    const covInv = tf.tensor3d(state.covInv, [l, d, d]);
    const diff = embeddings.reshape([n, l, d]).transpose([1, 0, 2]).sub(mean) as tf.Tensor3D; // [L,N,D]
    const d2 = tf.matMul(diff, covInv).mul(diff).sum(2); // [L,N]
    return tf.sqrt(tf.relu(d2)).transpose().reshape([n, h, w, 1]) as tf.Tensor4D;
  });
}

/** Inverse of a symmetric positive-definite matrix via Cholesky (A = L L^T), in float64. */
export function spdInverse(a: Float64Array, d: number): Float64Array {
  const low = new Float64Array(d * d);
  for (let i = 0; i < d; i++) {
    for (let j = 0; j <= i; j++) {
      let s = a[i * d + j] as number;
      for (let k = 0; k < j; k++) s -= (low[i * d + k] as number) * (low[j * d + k] as number);
      if (i === j) {
        if (!(s > 0)) throw new MadenetError('E_CONFIG', `GDE covariance is not positive definite (pivot ${s} at ${i}); expected gdeEpsilon > 0.`);
        low[i * d + i] = Math.sqrt(s);
      } else {
        low[i * d + j] = s / (low[j * d + j] as number);
      }
    }
  }
  // inv(L) by forward substitution, then inv(A) = inv(L)^T inv(L).
  const linv = new Float64Array(d * d);
  for (let i = 0; i < d; i++) {
    linv[i * d + i] = 1 / (low[i * d + i] as number);
    for (let j = 0; j < i; j++) {
      let s = 0;
      for (let k = j; k < i; k++) s -= (low[i * d + k] as number) * (linv[k * d + j] as number);
      linv[i * d + j] = s / (low[i * d + i] as number);
    }
  }
  const inv = new Float64Array(d * d);
  for (let i = 0; i < d; i++) {
    for (let j = 0; j <= i; j++) {
      let s = 0;
      for (let k = i; k < d; k++) s += (linv[k * d + i] as number) * (linv[k * d + j] as number);
      inv[i * d + j] = s;
      inv[j * d + i] = s;
    }
  }
  return inv;
}

/** Named float32 tensors (for a safetensors file next to the model) and back. */
export function gdeToTensors(state: GdeState): Map<string, { shape: number[]; data: Float32Array }> {
  const l = state.height * state.width;
  return new Map([
    ['gde.mean', { shape: [state.height, state.width, state.dim], data: state.mean }],
    ['gde.cov_inv', { shape: [l, state.dim, state.dim], data: state.covInv }],
    ['gde.count', { shape: [1], data: Float32Array.of(state.count) }],
  ]);
}

export function gdeFromTensors(tensors: ReadonlyMap<string, { shape: readonly number[]; data: Float32Array }>): GdeState {
  const mean = tensors.get('gde.mean');
  const covInv = tensors.get('gde.cov_inv');
  const count = tensors.get('gde.count');
  if (!mean || !covInv || !count || mean.shape.length !== 3) {
    throw new MadenetError('E_WEIGHTS', 'The GDE state lacks gde.mean [h,w,D], gde.cov_inv [L,D,D] or gde.count; expected all three.');
  }
  const [height, width, dim] = mean.shape as [number, number, number];
  if (covInv.data.length !== height * width * dim * dim) {
    throw new MadenetError('E_WEIGHTS', `GDE cov_inv has ${covInv.data.length} values; expected ${height * width * dim * dim} for [${height * width},${dim},${dim}].`);
  }
  return { height, width, dim, count: count.data[0] as number, mean: mean.data, covInv: covInv.data };
}
