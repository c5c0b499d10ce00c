// Typed access to the tfjs-backend-wasm 4.22 internals that the madenet wasm kernels rely on (heap, tensor
// ids, output allocation, disposal). Nothing here computes; a version check guards against silent drift.
import * as tf from '@tensorflow/tfjs';
import { version_wasm } from '@tensorflow/tfjs-backend-wasm';

/** The 4.22 internals were read from dist/tf-backend-wasm.node.js; other minor versions must be re-checked. */
export const PINNED_WASM_VERSION = /^4\.22\./;

export interface WasmTensorData {
  id: number;
  memoryOffset: number;
  shape: number[];
  dtype: tf.DataType;
  refCount: number;
}

export interface WasmModule {
  HEAPU8: Uint8Array;
  /** Present on the threaded build only: its buffer is the current (shared, growable) heap. */
  wasmMemory?: { buffer: ArrayBufferLike };
  _malloc(bytes: number): number;
  _free(offset: number): void;
  cwrap(name: string, returns: string | null, args: string[]): (...args: unknown[]) => unknown;
  tfjs: {
    registerTensor(id: number, size: number, memoryOffset: number): void;
    disposeData(id: number): void;
    getThreadsCount(): number;
  };
  PThread?: { runningWorkers: WorkerLike[]; unusedWorkers: WorkerLike[]; terminateAllThreads(): void };
}

export interface WorkerLike {
  unref?: () => void;
  terminate?: () => unknown;
}

export interface WasmBackend {
  wasm: WasmModule;
  dataIdMap: { get(dataId: object): WasmTensorData | undefined; has(dataId: object): boolean };
  makeOutput(shape: number[], dtype: tf.DataType, memoryOffset?: number): tf.TensorInfo;
  disposeData(dataId: object, force?: boolean): boolean;
}

/** What tfjs passes a kernel function on the wasm backend. */
export type KernelArgs = { inputs: tf.NamedTensorInfoMap; backend: WasmBackend; attrs?: tf.NamedAttrMap };

/** The window attributes tfjs gives its conv and pool gradient kernels (then each kernel its own). */
export interface WindowAttrs {
  strides: number | [number, number];
  pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
}

export type KernelFn = (args: KernelArgs) => tf.TensorInfo | tf.TensorInfo[];

export function assertPinnedWasmVersion(): void {
  if (!PINNED_WASM_VERSION.test(version_wasm)) {
    throw new Error(
      `madenet's wasm kernels read tfjs-backend-wasm internals checked against 4.22.x, but ${version_wasm} is installed.`,
    );
  }
}

/** The whole heap as float32; fetch again after anything that may allocate (the heap can grow and move). */
export function heapF32(backend: WasmBackend): Float32Array {
  const buffer = backend.wasm.wasmMemory?.buffer ?? backend.wasm.HEAPU8.buffer;
  return new Float32Array(buffer);
}

/** Index of a float32 tensor's first element in heapF32(). */
export function f32Offset(backend: WasmBackend, t: tf.TensorInfo): number {
  const data = backend.dataIdMap.get(t.dataId);
  if (data === undefined) throw new Error('Tensor data is not on the wasm backend.');
  return data.memoryOffset >>> 2;
}

export function tensorId(backend: WasmBackend, t: tf.TensorInfo): number {
  const data = backend.dataIdMap.get(t.dataId);
  if (data === undefined) throw new Error('Tensor data is not on the wasm backend.');
  return data.id;
}

/** A fresh float32 output of `shape`, zero-filled when asked (makeOutput leaves malloc garbage). */
export function allocF32(backend: WasmBackend, shape: number[], zero = false): tf.TensorInfo {
  const out = backend.makeOutput(shape, 'float32');
  if (zero) {
    const off = f32Offset(backend, out);
    heapF32(backend).fill(0, off, off + sizeOf(shape));
  }
  return out;
}

/** A zero-filled float32 output for a kernel that accumulates into it, with the heap view (taken after the allocation, which may grow the heap) and its offset there. */
export function zeroedOutput(backend: WasmBackend, shape: number[]): { out: tf.TensorInfo; heap: Float32Array; at: number } {
  const out = allocF32(backend, shape, true);
  return { out, heap: heapF32(backend), at: f32Offset(backend, out) };
}

/** Same data, another shape: a new TensorInfo that shares the dataId (callers must not dispose both). */
export function withShape(t: tf.TensorInfo, shape: number[]): tf.TensorInfo {
  return { dataId: t.dataId, shape, dtype: t.dtype };
}

export function sizeOf(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

export function dispose(backend: WasmBackend, ...infos: tf.TensorInfo[]): void {
  for (const t of infos) backend.disposeData(t.dataId);
}

/** A tensor registered over memory owned by another tensor; must be released with unalias, never disposed. */
export function alias(backend: WasmBackend, memoryOffset: number, shape: number[]): tf.TensorInfo {
  return backend.makeOutput(shape, 'float32', memoryOffset);
}

/** Releases an alias: drops the bookkeeping (and XNNPACK operators cached on its id) without freeing the shared memory. */
export function unalias(backend: WasmBackend, t: tf.TensorInfo): void {
  const data = backend.dataIdMap.get(t.dataId);
  if (data === undefined) return;
  backend.wasm.tfjs.disposeData(data.id);
  (backend.dataIdMap as unknown as { delete(dataId: object): void }).delete(t.dataId);
}

/**
 * The stock kernel function registered for `name` on wasm, captured before madenet replaces any of them.
 * Stock functions keep working after an override because their setup (cwrap) still runs with the backend.
 */
const stock = new Map<string, KernelFn>();

export function stockKernel(name: string): KernelFn {
  let fn = stock.get(name);
  if (fn === undefined) {
    const config = tf.getKernel(name, 'wasm');
    if (config === undefined) throw new Error(`The wasm backend has no '${name}' kernel.`);
    fn = config.kernelFunc as unknown as KernelFn;
    stock.set(name, fn);
  }
  return fn;
}

/** Runs a stock wasm kernel that returns one tensor. */
export function run(
  backend: WasmBackend,
  name: string,
  inputs: tf.NamedTensorInfoMap,
  attrs: tf.NamedAttrMap = {},
): tf.TensorInfo {
  const out = stockKernel(name)({ inputs, backend, attrs });
  if (Array.isArray(out)) throw new Error(`The wasm '${name}' kernel returned several tensors; expected one.`);
  return out;
}
