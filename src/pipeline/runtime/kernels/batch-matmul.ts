// BatchMatMul for wasm routed onto XNNPACK: the stock kernel is fast only for batch 1 without transposes and
// falls to a scalar loop otherwise (every dense-layer gradient). Transposes are made explicit; batches are folded.
import * as tf from '@tensorflow/tfjs';
import { type WasmBackend, alias, allocF32, dispose, f32Offset, heapF32, run, sizeOf, stockKernel, withShape, unalias, type KernelArgs } from '../wasm-internals.js';

export function batchMatMulWasm(args: KernelArgs): tf.TensorInfo {
  const { backend } = args;
  const { a, b } = args.inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
  const { transposeA, transposeB } = (args.attrs ?? {}) as { transposeA?: boolean; transposeB?: boolean };
  if (a.dtype !== 'float32' || b.dtype !== 'float32') return stockKernel(tf.BatchMatMul)(args) as tf.TensorInfo;
  const ra = a.shape.length;
  const rb = b.shape.length;
  const batchA = sizeOf(a.shape.slice(0, -2));
  const batchB = sizeOf(b.shape.slice(0, -2));
  // Broadcast batches other than "one side has a single matrix" keep the stock semantics.
  if (batchA !== batchB && batchA !== 1 && batchB !== 1) return stockKernel(tf.BatchMatMul)(args) as tf.TensorInfo;
  const outBatchShape = tf.broadcast_util.assertAndGetBroadcastShape(a.shape.slice(0, -2), b.shape.slice(0, -2));
  const aT = transposeA ? swapLastTwo(backend, a) : a;
  const bT = transposeB ? swapLastTwo(backend, b) : b;
  const [m, k] = [aT.shape[ra - 2], aT.shape[ra - 1]];
  const n = bT.shape[rb - 1];
  if (bT.shape[rb - 2] !== k) {
    throw new Error(`Error in matMul: inner shapes (${k}) and (${bT.shape[rb - 2]}) of Tensors with shapes ${a.shape} and ${b.shape} and transposeA=${Boolean(transposeA)} and transposeB=${Boolean(transposeB)} must match.`);
  }
  let out: tf.TensorInfo;
  if (batchB === 1) {
    // [B,M,K] @ [K,N] is one [B*M,K] @ [K,N] product.
    out = matmul1(backend, withShape(aT, [1, batchA * m, k]), withShape(bT, [1, k, n]));
  } else {
    out = perBatch(backend, aT, bT, { batchA, batchB, m, k, n });
  }
  if (aT !== a) dispose(backend, aT);
  if (bT !== b) dispose(backend, bT);
  return withShape(out, [...outBatchShape, m, n]);
}

function matmul1(backend: WasmBackend, a: tf.TensorInfo, b: tf.TensorInfo): tf.TensorInfo {
  return run(backend, tf.BatchMatMul, { a, b }, { transposeA: false, transposeB: false });
}

function swapLastTwo(backend: WasmBackend, t: tf.TensorInfo): tf.TensorInfo {
  const r = t.shape.length;
  const batch = sizeOf(t.shape.slice(0, -2));
  const [rows, cols] = [t.shape[r - 2], t.shape[r - 1]];
  const swapped = run(backend, tf.Transpose, { x: withShape(t, [batch, rows, cols]) }, { perm: [0, 2, 1] });
  return withShape(swapped, [...t.shape.slice(0, -2), cols, rows]);
}

/**
 * Below this many multiply-adds per matrix, a batched product runs as a plain loop on the heap. One XNNPACK call
 * per matrix costs a kernel dispatch and a thread-pool round trip each: LPD's GDE ([L=1024] products of
 * [16,32]x[32,32]) took ~0.65 s of CPU per call with 2 threads on the loaded 2-core machine, ~20 ms as a loop.
 */
export const SMALL_PRODUCT_MACS = 1 << 16;

/** A batched product [batchA, m, k] x [batchB, k, n]; a batch of 1 is broadcast over the other side's. */
interface ProductShape {
  batchA: number;
  batchB: number;
  m: number;
  k: number;
  n: number;
}

/** Float offsets of batch i's A and B matrices and of its output matrix from their tensors' starts. */
function batchOffsets({ batchA, batchB, m, k, n }: ProductShape, i: number): { a: number; b: number; out: number } {
  return { a: batchA === 1 ? 0 : i * m * k, b: batchB === 1 ? 0 : i * k * n, out: i * m * n };
}

/** One product per batch: a loop for small matrices, else XNNPACK through tensors aliased onto heap slices. */
function perBatch(backend: WasmBackend, a: tf.TensorInfo, b: tf.TensorInfo, shape: ProductShape): tf.TensorInfo {
  const { batchA, batchB, m, k, n } = shape;
  const out = allocF32(backend, [Math.max(batchA, batchB), m, n]);
  if (m * k * n < SMALL_PRODUCT_MACS) perBatchLoop(backend, a, b, out, shape);
  else perBatchXnn(backend, a, b, out, shape);
  return out;
}

/**
 * Small products as a loop over the heap, rounded as XNNPACK's float32 GEMM rounds (each product, then each running
 * sum, to float32, k in order from 0), so that the loop gives the same bits as the XNNPACK path it replaces.
 */
function perBatchLoop(backend: WasmBackend, a: tf.TensorInfo, b: tf.TensorInfo, out: tf.TensorInfo, shape: ProductShape): void {
  const { batchA, batchB, m, k, n } = shape;
  // Views taken after the output's allocation, which may grow (and move) the heap.
  const heap = heapF32(backend);
  const aBase = f32Offset(backend, a);
  const bBase = f32Offset(backend, b);
  const oBase = f32Offset(backend, out);
  const fround = Math.fround;
  for (let i = 0; i < Math.max(batchA, batchB); i++) {
    const at = batchOffsets(shape, i);
    const ai = aBase + at.a;
    const bi = bBase + at.b;
    const oi = oBase + at.out;
    for (let r = 0; r < m; r++) {
      const o = oi + r * n;
      heap.fill(0, o, o + n);
      for (let p = 0; p < k; p++) {
        const x = heap[ai + r * k + p] as number;
        const bRow = bi + p * n;
        // heap is a Float32Array: the store rounds the sum.
        for (let c = 0; c < n; c++) heap[o + c] = (heap[o + c] as number) + fround(x * (heap[bRow + c] as number));
      }
    }
  }
}

/** One XNNPACK product per batch through tensors aliased onto slices of the heap (no copies in). */
function perBatchXnn(backend: WasmBackend, a: tf.TensorInfo, b: tf.TensorInfo, out: tf.TensorInfo, shape: ProductShape): void {
  const { batchA, batchB, m, k, n } = shape;
  const aBase = backend.dataIdMap.get(a.dataId)!.memoryOffset;
  const bBase = backend.dataIdMap.get(b.dataId)!.memoryOffset;
  for (let i = 0; i < Math.max(batchA, batchB); i++) {
    const at = batchOffsets(shape, i);
    const av = alias(backend, aBase + at.a * 4, [1, m, k]);
    const bv = alias(backend, bBase + at.b * 4, [1, k, n]);
    const prod = matmul1(backend, av, bv);
    const heap = heapF32(backend);
    const src = f32Offset(backend, prod);
    heap.copyWithin(f32Offset(backend, out) + at.out, src, src + m * n);
    dispose(backend, prod);
    unalias(backend, av);
    unalias(backend, bv);
  }
}

