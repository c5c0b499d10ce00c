// Tile, Concat, SplitV, Slice and Identity for wasm as block copies inside the heap: the stock Tile is an element
// loop, the stock Slice copies its whole input out to JS first. Bit-exact for every dtype except string.
import * as tf from '@tensorflow/tfjs';
import { type WasmBackend, dispose, run, sizeOf, stockKernel, withShape, type KernelArgs } from '../wasm-internals.js';

/** Int32 view of the heap: copies through it keep every bit (float NaN payloads included). */
function heapI32(backend: WasmBackend): Int32Array {
  return new Int32Array(backend.wasm.wasmMemory?.buffer ?? backend.wasm.HEAPU8.buffer);
}

function wordOffset(backend: WasmBackend, t: tf.TensorInfo): number {
  return backend.dataIdMap.get(t.dataId)!.memoryOffset >>> 2;
}

function fourByte(dtype: tf.DataType): boolean {
  return dtype === 'float32' || dtype === 'int32';
}

/** Copies `len` words; short runs by hand, because copyWithin's call costs more than a few words. */
function copyRun(h: Int32Array, dst: number, src: number, len: number): void {
  if (len > 32) h.copyWithin(dst, src, src + len);
  else for (let i = 0; i < len; i++) h[dst + i] = h[src + i];
}

/** Fills [dst + block, dst + total) with repeats of the first `block` words by doubling. */
function repeatBlock(h: Int32Array, dst: number, block: number, total: number): void {
  let done = block;
  while (done < total) {
    const n = Math.min(done, total - done);
    h.copyWithin(dst + done, dst, dst + n);
    done += n;
  }
}

export function tileWasm(args: KernelArgs): tf.TensorInfo {
  const { backend } = args;
  const { x } = args.inputs as { x: tf.TensorInfo };
  const reps = (args.attrs as unknown as { reps: number[] }).reps;
  if (!fourByte(x.dtype) || reps.length !== x.shape.length) return stockKernel(tf.Tile)(args) as tf.TensorInfo;
  const s = x.shape;
  const r = s.length;
  const outShape = s.map((d, i) => d * reps[i]);
  const out = backend.makeOutput(outShape, x.dtype);
  if (sizeOf(outShape) === 0) return out;
  const inStride = new Array<number>(r + 1).fill(1);
  const outStride = new Array<number>(r + 1).fill(1);
  for (let i = r - 1; i >= 0; i--) {
    inStride[i] = inStride[i + 1] * s[i];
    outStride[i] = outStride[i + 1] * outShape[i];
  }
  // From `flat` on, no axis repeats: that suffix is one contiguous run in both tensors.
  let flat = r;
  while (flat > 0 && reps[flat - 1] === 1) flat--;
  const h = heapI32(backend);
  const fill = (d: number, src: number, dst: number): void => {
    if (d === flat) {
      copyRun(h, dst, src, inStride[d]);
      return;
    }
    for (let j = 0; j < s[d]; j++) fill(d + 1, src + j * inStride[d + 1], dst + j * outStride[d + 1]);
    repeatBlock(h, dst, s[d] * outStride[d + 1], outStride[d]);
  };
  fill(0, wordOffset(backend, x), wordOffset(backend, out));
  return out;
}

/** Moves row slices between one tensor split along `axis` and its parts (concat = true: parts -> whole). */
function moveAlongAxis(backend: WasmBackend, whole: tf.TensorInfo, parts: tf.TensorInfo[], axis: number, concat: boolean): void {
  const outer = sizeOf(whole.shape.slice(0, axis));
  const wholeInner = sizeOf(whole.shape.slice(axis));
  const h = heapI32(backend);
  const w0 = wordOffset(backend, whole);
  let offset = 0;
  for (const p of parts) {
    const inner = sizeOf(p.shape.slice(axis));
    if (inner > 0) {
      let pi = wordOffset(backend, p);
      let wi = w0 + offset;
      for (let o = 0; o < outer; o++, pi += inner, wi += wholeInner) {
        if (concat) copyRun(h, wi, pi, inner);
        else copyRun(h, pi, wi, inner);
      }
    }
    offset += inner;
  }
}

/**
 * Equal parts with short rows (the U-Net skip concat): [P, outer, inner] <-> [outer, P, inner] is one stock
 * XNNPACK-speed transpose, where row-by-row copies of 16 floats cost a JS loop iteration each.
 */
function equalShortParts(parts: tf.TensorInfo[], axis: number): number | undefined {
  const inner = sizeOf(parts[0].shape.slice(axis));
  if (parts.length < 2 || inner === 0 || inner > 64) return undefined;
  return parts.every((p) => sizeOf(p.shape.slice(axis)) === inner) ? inner : undefined;
}

export function concatWasm(args: KernelArgs): tf.TensorInfo {
  const { backend } = args;
  const inputs = args.inputs as unknown as tf.TensorInfo[];
  const list = Array.isArray(inputs) ? inputs : Object.values(inputs as Record<string, tf.TensorInfo>);
  if (list.length === 0 || !list.every((t) => fourByte(t.dtype) && t.dtype === list[0].dtype)) {
    return stockKernel(tf.Concat)(args) as tf.TensorInfo;
  }
  const axis = tf.util.parseAxisParam((args.attrs as unknown as { axis: number | number[] }).axis, list[0].shape)[0];
  tf.backend_util.assertParamsConsistent(list.map((t) => t.shape), axis);
  const outShape = tf.backend_util.computeOutShape(list.map((t) => t.shape), axis);
  const inner = sizeOf(outShape) > 0 ? equalShortParts(list, axis) : undefined;
  if (inner !== undefined) {
    const outer = sizeOf(outShape.slice(0, axis));
    const stacked = backend.makeOutput([list.length, outer, inner], list[0].dtype);
    const h = heapI32(backend);
    const base = wordOffset(backend, stacked);
    list.forEach((p, i) => {
      const src = wordOffset(backend, p);
      h.copyWithin(base + i * outer * inner, src, src + outer * inner);
    });
    const out = run(backend, tf.Transpose, { x: stacked }, { perm: [1, 0, 2] });
    dispose(backend, stacked);
    return withShape(out, outShape);
  }
  const out = backend.makeOutput(outShape, list[0].dtype);
  if (sizeOf(outShape) > 0) moveAlongAxis(backend, out, list, axis, true);
  return out;
}

export function splitVWasm(args: KernelArgs): tf.TensorInfo[] {
  const { backend } = args;
  const { x } = args.inputs as { x: tf.TensorInfo };
  if (!fourByte(x.dtype)) return stockKernel(tf.SplitV)(args) as tf.TensorInfo[];
  const { numOrSizeSplits, axis } = args.attrs as unknown as { numOrSizeSplits: number | number[]; axis: number };
  const $axis = tf.util.parseAxisParam(axis, x.shape)[0];
  const sizes = tf.backend_util.prepareSplitSize(x as unknown as tf.Tensor, numOrSizeSplits, $axis);
  const shapes = sizes.map((size) => {
    const shape = [...x.shape];
    shape[$axis] = size;
    return shape;
  });
  const outer = sizeOf(x.shape.slice(0, $axis));
  const inner = sizeOf(shapes[0].slice($axis));
  if (sizeOf(x.shape) > 0 && equalShortParts(shapes.map((shape) => ({ shape }) as tf.TensorInfo), $axis) !== undefined) {
    const apart = run(backend, tf.Transpose, { x: withShape(x, [outer, sizes.length, inner]) }, { perm: [1, 0, 2] });
    // Allocate every output before taking the heap view: makeOutput can grow (and so detach) wasm memory.
    const parts = shapes.map((shape) => backend.makeOutput(shape, x.dtype));
    const h = heapI32(backend);
    const base = wordOffset(backend, apart);
    parts.forEach((p, i) => h.copyWithin(wordOffset(backend, p), base + i * outer * inner, base + (i + 1) * outer * inner));
    dispose(backend, apart);
    return parts;
  }
  const parts = shapes.map((shape) => backend.makeOutput(shape, x.dtype));
  moveAlongAxis(backend, x, parts, $axis, false);
  return parts;
}

/** Identity shares the data (reference-counted, as the cpu backend does) instead of copying it. */
export function identityWasm(args: KernelArgs): tf.TensorInfo {
  const { backend } = args;
  const { x } = args.inputs as { x: tf.TensorInfo };
  if (x.dtype === 'string') return stockKernel(tf.Identity)(args) as tf.TensorInfo;
  (backend as unknown as { incRef(dataId: object): void }).incRef(x.dataId);
  return { dataId: x.dataId, shape: [...x.shape], dtype: x.dtype };
}

/**
 * Slice with contiguous runs copied inside the heap. The stock kernel first copies the whole input out of the
 * heap (readSync), so cutting a small window out of a large tensor cost as much as copying all of it.
 */
export function sliceWasm(args: KernelArgs): tf.TensorInfo {
  const { backend } = args;
  const { x } = args.inputs as { x: tf.TensorInfo };
  if (x.dtype === 'string') return stockKernel(tf.Slice)(args) as tf.TensorInfo;
  const { begin, size } = args.attrs as unknown as { begin: number | number[]; size: number | number[] };
  const [b, sz] = tf.slice_util.parseSliceParams(x as unknown as tf.Tensor, begin, size);
  const out = backend.makeOutput(sz, x.dtype);
  const total = sizeOf(sz);
  if (total === 0) return out;
  const bytes = x.dtype === 'bool' ? 1 : 4;
  const rank = x.shape.length;
  const strides = new Array<number>(rank).fill(1);
  for (let i = rank - 2; i >= 0; i--) strides[i] = strides[i + 1] * x.shape[i + 1];
  // Trailing axes taken whole merge into one contiguous run with the first partial axis before them.
  let q = rank - 1;
  while (q > 0 && b[q] === 0 && sz[q] === x.shape[q]) q--;
  const run = sizeOf(sz.slice(q)) * bytes;
  const heap = new Uint8Array(backend.wasm.wasmMemory?.buffer ?? backend.wasm.HEAPU8.buffer);
  const src0 = backend.dataIdMap.get(x.dataId)!.memoryOffset + b.reduce((acc, bi, i) => acc + bi * strides[i], 0) * bytes;
  let dst = backend.dataIdMap.get(out.dataId)!.memoryOffset;
  const idx = new Array<number>(q).fill(0);
  for (;;) {
    let src = src0;
    for (let i = 0; i < q; i++) src += idx[i] * strides[i] * bytes;
    heap.copyWithin(dst, src, src + run);
    dst += run;
    let i = q - 1;
    while (i >= 0 && ++idx[i] === sz[i]) idx[i--] = 0;
    if (i < 0) break;
  }
  return out;
}
