// Sum and Mean over leading axes for wasm (per-channel reductions of NHWC tensors: batch norm and its
// gradients): one XNNPACK average pooling over a [1, rows, 1, cols] view instead of the stock full transpose.
import * as tf from '@tensorflow/tfjs';
import { type WasmBackend, dispose, heapF32, run, sizeOf, stockKernel, withShape, type KernelArgs } from '../wasm-internals.js';

interface ReduceAttrs {
  axis: number | number[];
  keepDims?: boolean;
}

/** The leading-axes count k when `axes` is exactly 0..k-1 (in any order), else 0. */
function leadingAxes(axes: number[]): number {
  const sorted = [...axes].sort((a, b) => a - b);
  return sorted.every((a, i) => a === i) ? sorted.length : 0;
}

function scalarF32(backend: WasmBackend, value: number): tf.TensorInfo {
  const t = backend.makeOutput([], 'float32');
  heapF32(backend)[backend.dataIdMap.get(t.dataId)!.memoryOffset >>> 2] = value;
  return t;
}

function reduceLeading(args: KernelArgs, kind: 'Sum' | 'Mean'): tf.TensorInfo {
  const { backend } = args;
  const { x } = args.inputs as { x: tf.TensorInfo };
  const attrs = args.attrs as unknown as ReduceAttrs;
  const axes = tf.util.parseAxisParam(attrs.axis, x.shape);
  const k = leadingAxes(axes);
  const rows = sizeOf(x.shape.slice(0, k));
  // Reductions that end innermost are already fast in the stock kernels; XNNPACK pools need a window > 1.
  if (x.dtype !== 'float32' || k === 0 || k === x.shape.length || rows < 2 || sizeOf(x.shape) === 0) {
    return stockKernel(kind)(args) as tf.TensorInfo;
  }
  const rest = x.shape.slice(k);
  const cols = sizeOf(rest);
  // Average pooling reads each element once and vectorises across the channels it keeps.
  let out = run(backend, tf.AvgPool, { x: withShape(x, [1, rows, 1, cols]) }, {
    filterSize: [rows, 1],
    strides: [1, 1],
    pad: 'valid',
  });
  if (kind === 'Sum') {
    const scale = scalarF32(backend, rows);
    const scaled = run(backend, tf.Multiply, { a: out, b: scale });
    dispose(backend, out, scale);
    out = scaled;
  }
  const shape = attrs.keepDims ? x.shape.map((d, i) => (i < k ? 1 : d)) : rest;
  return withShape(out, shape);
}

export function sumWasm(args: KernelArgs): tf.TensorInfo {
  return reduceLeading(args, 'Sum');
}

export function meanWasm(args: KernelArgs): tf.TensorInfo {
  return reduceLeading(args, 'Mean');
}
