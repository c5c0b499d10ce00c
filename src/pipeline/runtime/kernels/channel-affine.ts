// Per-channel (last axis) multiply/add on wasm as a 1x1 XNNPACK depthwise conv: the stock broadcasting binary ops
// and FusedBatchNorm are scalar loops, 4-18x slower. Covers FusedBatchNorm and x (op) [C] for Multiply/Add/Sub.
import * as tf from '@tensorflow/tfjs';
import { type WasmBackend, dispose, heapF32, run, sizeOf, stockKernel, withShape, type KernelArgs } from '../wasm-internals.js';

function readF32(backend: WasmBackend, t: tf.TensorInfo): Float32Array {
  const off = backend.dataIdMap.get(t.dataId)!.memoryOffset >>> 2;
  return heapF32(backend).slice(off, off + sizeOf(t.shape));
}

function fromValues(backend: WasmBackend, shape: number[], values: Float32Array): tf.TensorInfo {
  const t = backend.makeOutput(shape, 'float32');
  heapF32(backend).set(values, backend.dataIdMap.get(t.dataId)!.memoryOffset >>> 2);
  return t;
}

/** x [..., C] -> x * scale + shift per channel, in one SIMD pass; scale null means 1, shift null means 0. */
export function channelAffine(
  backend: WasmBackend,
  x: tf.TensorInfo,
  scale: Float32Array | null,
  shift: Float32Array | null,
): tf.TensorInfo {
  const c = x.shape[x.shape.length - 1];
  const rows = sizeOf(x.shape) / c;
  const filter = fromValues(backend, [1, 1, c, 1], scale ?? new Float32Array(c).fill(1));
  const view = withShape(x, [1, rows, 1, c]);
  const attrs = { strides: [1, 1], pad: 'valid', dilations: [1, 1], dataFormat: 'NHWC', activation: 'linear' };
  let out: tf.TensorInfo;
  if (shift === null) {
    out = run(backend, tf.DepthwiseConv2dNative, { x: view, filter }, attrs);
  } else {
    const bias = fromValues(backend, [c], shift);
    out = run(backend, tf.FusedDepthwiseConv2D, { x: view, filter, bias }, attrs);
    dispose(backend, bias);
  }
  dispose(backend, filter);
  return withShape(out, x.shape);
}

/** True when `small` is one value per channel of `big`'s last axis: shape [C] or [1, ..., 1, C]. */
function perChannel(big: tf.TensorInfo, small: tf.TensorInfo): boolean {
  const c = big.shape[big.shape.length - 1];
  if (big.shape.length < 2 || c < 1 || small.shape.length > big.shape.length) return false;
  if (small.shape[small.shape.length - 1] !== c) return false;
  return small.shape.slice(0, -1).every((d) => d === 1) && sizeOf(big.shape) > c;
}

/** y = (x - mean) / sqrt(variance + eps) * scale + offset, all per channel. */
export function fusedBatchNormWasm(args: KernelArgs): tf.TensorInfo {
  const { backend } = args;
  const { x, mean, variance, offset, scale } = args.inputs as Record<string, tf.TensorInfo | undefined>;
  const eps = (args.attrs as { varianceEpsilon?: number }).varianceEpsilon ?? 0.001;
  const per = (t: tf.TensorInfo | undefined): boolean => t === undefined || t === null || (t.shape.length === 1 && perChannel(x!, t));
  if (x!.dtype !== 'float32' || !perChannel(x!, mean!) || !per(mean) || !per(variance) || !per(offset) || !per(scale)) {
    return stockKernel(tf.FusedBatchNorm)(args) as tf.TensorInfo;
  }
  const m = readF32(backend, mean!);
  const v = readF32(backend, variance!);
  const s = scale ? readF32(backend, scale) : null;
  const o = offset ? readF32(backend, offset) : null;
  const c = m.length;
  const a = new Float32Array(c);
  const negMean = new Float32Array(c);
  for (let i = 0; i < c; i++) {
    a[i] = (s ? s[i] : 1) / Math.sqrt(v[i] + eps);
    negMean[i] = -m[i];
  }
  // Two passes keep the stock rounding ((x - mean) first); folding into one affine map loses precision when
  // |mean| is large against the spread.
  const centred = channelAffine(backend, x!, null, negMean);
  const out = channelAffine(backend, centred, a, o);
  dispose(backend, centred);
  return out;
}

function binaryPerChannel(args: KernelArgs, kind: 'Multiply' | 'Add' | 'Sub'): tf.TensorInfo {
  const { backend } = args;
  const { a, b } = args.inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
  const float = a.dtype === 'float32' && b.dtype === 'float32';
  if (float && perChannel(a, b)) {
    const v = readF32(backend, b);
    if (kind === 'Multiply') return channelAffine(backend, a, v, null);
    if (kind === 'Sub') for (let i = 0; i < v.length; i++) v[i] = -v[i];
    return channelAffine(backend, a, null, v);
  }
  if (float && kind !== 'Sub' && perChannel(b, a)) {
    const v = readF32(backend, a);
    return kind === 'Multiply' ? channelAffine(backend, b, v, null) : channelAffine(backend, b, null, v);
  }
  if (float && kind === 'Sub' && perChannel(b, a)) {
    // [C] - x = x * -1 + [C]
    const v = readF32(backend, a);
    return channelAffine(backend, b, new Float32Array(v.length).fill(-1), v);
  }
  return stockKernel(kind)(args) as tf.TensorInfo;
}

export const multiplyWasm = (args: KernelArgs): tf.TensorInfo => binaryPerChannel(args, 'Multiply');
export const addWasm = (args: KernelArgs): tf.TensorInfo => binaryPerChannel(args, 'Add');
export const subWasm = (args: KernelArgs): tf.TensorInfo => binaryPerChannel(args, 'Sub');

/** (x - [C])^2: one depthwise pass and the stock same-shape Square. */
export function squaredDifferenceWasm(args: KernelArgs): tf.TensorInfo {
  const { backend } = args;
  const { a, b } = args.inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
  const [big, small] = perChannel(a, b) ? [a, b] : perChannel(b, a) ? [b, a] : [undefined, undefined];
  if (big === undefined || small === undefined || a.dtype !== 'float32' || b.dtype !== 'float32') {
    return stockKernel(tf.SquaredDifference)(args) as tf.TensorInfo;
  }
  const v = readF32(backend, small);
  for (let i = 0; i < v.length; i++) v[i] = -v[i];
  const diff = channelAffine(backend, big, null, v);
  const out = run(backend, tf.Square, { x: diff });
  dispose(backend, diff);
  return out;
}
