// Shared by the runtime kernel tests: seeded inputs, running one computation on a named backend, and a
// norm-relative comparison. Kept out of *.test.ts so several test files can use it.
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../../../src/pipeline/core/random.js';
import { initRuntime } from '../../../src/pipeline/runtime/backend.js';

export function randomArray(rng: Rng, n: number): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = rng.normal();
  return a;
}

export function size(shape: readonly number[]): number {
  return shape.reduce((p, d) => p * d, 1);
}

/** Runs `fn` on `backend` and returns its output values (read, then disposed). */
export async function onBackend(backend: 'wasm' | 'cpu' | 'webgpu', fn: () => tf.Tensor | tf.Tensor[]): Promise<Float32Array[]> {
  await initRuntime({ backend, threads: 1 });
  const outs = tf.tidy(fn);
  const list = Array.isArray(outs) ? outs : [outs];
  const values = await Promise.all(list.map(async (t) => (await t.data()) as Float32Array));
  tf.dispose(list);
  return values;
}

/** max |a - b| / max |b|: the error relative to the reference's scale. */
export function relError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} != ${b.length}`);
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < a.length; i++) {
    diff = Math.max(diff, Math.abs(a[i] - b[i]));
    scale = Math.max(scale, Math.abs(b[i]));
  }
  return scale === 0 ? diff : diff / scale;
}

/** Runs on wasm and on cpu and asserts every output agrees to `tol` (norm-relative). */
export async function expectWasmMatchesCpu(fn: () => tf.Tensor | tf.Tensor[], tol = 1e-4): Promise<number> {
  const w = await onBackend('wasm', fn);
  const c = await onBackend('cpu', fn);
  expect(w.length).toBe(c.length);
  let worst = 0;
  for (let i = 0; i < w.length; i++) {
    const e = relError(w[i], c[i]);
    worst = Math.max(worst, e);
    expect({ output: i, err: e, ok: e <= tol }).toEqual({ output: i, err: e, ok: true });
  }
  return worst;
}

/** Number of tensors held by the wasm backend's own bookkeeping (catches intermediates a kernel forgot). */
export function wasmDataIds(): number {
  return (tf.findBackend('wasm') as unknown as { numDataIds(): number }).numDataIds();
}

/** expectWasmMatchesCpu, then, back on wasm, expects as many wasm data ids as before: the kernels freed what they made. */
export async function expectWasmMatchesCpuAndFrees(fn: () => tf.Tensor | tf.Tensor[]): Promise<void> {
  const ids = wasmDataIds();
  await expectWasmMatchesCpu(fn);
  await initRuntime({ backend: 'wasm', threads: 1 });
  expect(wasmDataIds()).toBe(ids);
}

/**
 * The seeded values the training-op checks run on (Rng(3), drawn in this order): x [2,8,10,4], a 3x3 conv filter
 * 4->4, a 3x3 depthwise filter of 4 channels, 4 batch-norm gains; `x()` is a fresh tensor of x.
 */
export function trainingOpInputs(): { xv: Float32Array; wv: Float32Array; dv: Float32Array; gv: Float32Array; x: () => tf.Tensor4D } {
  const rng = new Rng(3);
  const xv = randomArray(rng, 2 * 8 * 10 * 4);
  const wv = randomArray(rng, 3 * 3 * 4 * 4);
  const dv = randomArray(rng, 3 * 3 * 4 * 1);
  const gv = randomArray(rng, 4);
  return { xv, wv, dv, gv, x: () => tf.tensor4d(xv, [2, 8, 10, 4]) };
}
