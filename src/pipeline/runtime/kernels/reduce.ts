// Sum and Mean over leading axes for wasm (per-channel reductions of NHWC tensors: batch norm and its
// gradients): one XNNPACK product with a row of ones instead of the stock full transpose, then a scalar reduce.
import * as tf from '@tensorflow/tfjs';
import { type WasmBackend, dispose, run, sizeOf, stockKernel, withShape } from '../wasm-internals.js';

type KernelArgs = { inputs: tf.NamedTensorInfoMap; backend: WasmBackend; attrs?: tf.NamedAttrMap };
interface ReduceAttrs {
  axis: number | number[];
  keepDims?: boolean;
}

/** A malloc'ed run of 1.0f per backend instance, grown on demand; aliased by tensors, never owned by one. */
const onesCache = new WeakMap<WasmBackend, { offset: number; length: number }>();

function onesRow(backend: WasmBackend, length: number): tf.TensorInfo {
  let cached = onesCache.get(backend);
  if (cached === undefined || cached.length < length) {
    if (cached !== undefined) backend.wasm._free(cached.offset);
    const capacity = Math.max(length, 1024);
    const offset = backend.wasm._malloc(capacity * 4) >>> 0;
    const heap = new Float32Array(backend.wasm.wasmMemory?.buffer ?? backend.wasm.HEAPU8.buffer);
    heap.fill(1, offset >>> 2, (offset >>> 2) + capacity);
    cached = { offset, length: capacity };
    onesCache.set(backend, cached);
  }
  return backend.makeOutput([1, 1, length], 'float32', cached.offset);
}

function releaseAlias(backend: WasmBackend, t: tf.TensorInfo): void {
  const data = backend.dataIdMap.get(t.dataId);
  if (data === undefined) return;
  backend.wasm.tfjs.disposeData(data.id);
  (backend.dataIdMap as unknown as { delete(dataId: object): void }).delete(t.dataId);
}

/** The leading-axes count k when `axes` is exactly 0..k-1 (after sorting), else 0. */
function leadingAxes(axes: number[]): number {
  const sorted = [...axes].sort((a, b) => a - b);
  return sorted.every((a, i) => a === i) ? sorted.length : 0;
}

function reduceLeading(args: KernelArgs, kind: 'Sum' | 'Mean'): tf.TensorInfo {
  const { backend } = args;
  const { x } = args.inputs as { x: tf.TensorInfo };
  const attrs = args.attrs as unknown as ReduceAttrs;
  const axes = tf.util.parseAxisParam(attrs.axis, x.shape);
  const k = leadingAxes(axes);
  // Reductions that end innermost are already fast in the stock kernels.
  if (x.dtype !== 'float32' || k === 0 || k === x.shape.length || sizeOf(x.shape) === 0) {
    return stockKernel(kind)(args) as tf.TensorInfo;
  }
  const rows = sizeOf(x.shape.slice(0, k));
  const rest = x.shape.slice(k);
  const cols = sizeOf(rest);
  const ones = onesRow(backend, rows);
  let out = run(backend, tf.BatchMatMul, { a: ones, b: withShape(x, [1, rows, cols]) }, { transposeA: false, transposeB: false });
  releaseAlias(backend, ones);
  if (kind === 'Mean') {
    const scale = backend.makeOutput([], 'float32');
    new Float32Array(backend.wasm.wasmMemory?.buffer ?? backend.wasm.HEAPU8.buffer)[
      backend.dataIdMap.get(scale.dataId)!.memoryOffset >>> 2
    ] = 1 / rows;
    const scaled = run(backend, tf.Multiply, { a: out, b: scale });
    dispose(backend, out, scale);
    out = scaled;
  }
  const shape = attrs.keepDims ? [...x.shape.map((d, i) => (i < k ? 1 : d))] : rest;
  return withShape(out, shape);
}

export function sumWasm(args: KernelArgs): tf.TensorInfo {
  return reduceLeading(args, 'Sum');
}

export function meanWasm(args: KernelArgs): tf.TensorInfo {
  return reduceLeading(args, 'Mean');
}
