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
    out = perBatch(backend, aT, bT, batchA, batchB, m, k, n);
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

/** One XNNPACK product per batch through tensors aliased onto slices of the heap (no copies in). */
function perBatch(
  backend: WasmBackend,
  a: tf.TensorInfo,
  b: tf.TensorInfo,
  batchA: number,
  batchB: number,
  m: number,
  k: number,
  n: number,
): tf.TensorInfo {
  const batch = Math.max(batchA, batchB);
  const out = allocF32(backend, [batch, m, n]);
  const aBase = backend.dataIdMap.get(a.dataId)!.memoryOffset;
  const bBase = backend.dataIdMap.get(b.dataId)!.memoryOffset;
  for (let i = 0; i < batch; i++) {
    const av = alias(backend, aBase + (batchA === 1 ? 0 : i * m * k * 4), [1, m, k]);
    const bv = alias(backend, bBase + (batchB === 1 ? 0 : i * k * n * 4), [1, k, n]);
    const prod = matmul1(backend, av, bv);
    const heap = heapF32(backend);
    const src = f32Offset(backend, prod);
    heap.copyWithin(f32Offset(backend, out) + i * m * n, src, src + m * n);
    dispose(backend, prod);
    unalias(backend, av);
    unalias(backend, bv);
  }
  return out;
}

