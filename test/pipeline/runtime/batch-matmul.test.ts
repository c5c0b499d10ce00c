import * as tf from '@tensorflow/tfjs';
import { Rng } from '../../../src/pipeline/core/random.js';
import { initRuntime } from '../../../src/pipeline/runtime/backend.js';
import { SMALL_PRODUCT_MACS } from '../../../src/pipeline/runtime/kernels/batch-matmul.js';
import { expectWasmMatchesCpu, randomArray, size, wasmDataIds } from './kernel-check.js';

describe('wasm BatchMatMul (transposes made explicit, batches folded) matches the cpu backend', () => {
  beforeAll(async () => {
    await initRuntime({ backend: 'wasm', threads: 1 });
  });

  const cases: [string, number[], number[], boolean, boolean][] = [
    ['plain 2-D', [7, 5], [5, 3], false, false],
    ['transposeA (dense weight gradient)', [9, 7], [9, 4], true, false],
    ['transposeB (dense input gradient)', [6, 5], [3, 5], false, true],
    ['both transposed', [5, 6], [3, 5], true, true],
    ['batched, b broadcast', [3, 4, 5], [5, 2], false, false],
    ['batched, both', [3, 4, 5], [3, 5, 6], false, false],
    ['batched, both transposed', [2, 5, 4], [2, 6, 5], true, true],
    ['a broadcast over b batches', [4, 5], [3, 5, 2], false, false],
    ['rank 4 batch', [2, 3, 4, 5], [2, 3, 5, 2], false, false],
    // Above SMALL_PRODUCT_MACS per matrix: one XNNPACK call per batch instead of the loop.
    ['batched, large matrices (XNNPACK per batch)', [2, 48, 40], [2, 40, 36], false, false],
    ['batched, large, both transposed', [2, 40, 48], [2, 36, 40], true, true],
    // LPD's GDE shape, scaled down: many small per-location products.
    ['many small products (GDE-style)', [64, 6, 8], [64, 8, 8], false, false],
  ];

  it('the large cases are above the loop threshold and the small ones below', () => {
    expect(48 * 40 * 36).toBeGreaterThanOrEqual(SMALL_PRODUCT_MACS);
    expect(6 * 8 * 8).toBeLessThan(SMALL_PRODUCT_MACS);
  });

  it.each(cases)('%s', async (_, as, bs, ta, tb) => {
    const rng = new Rng(5);
    const av = randomArray(rng, size(as));
    const bv = randomArray(rng, size(bs));
    const idsBefore = wasmDataIds();
    const tensorsBefore = tf.memory().numTensors;
    await expectWasmMatchesCpu(() => tf.matMul(tf.tensor(av, as), tf.tensor(bv, bs), ta, tb));
    await initRuntime({ backend: 'wasm', threads: 1 });
    expect(wasmDataIds()).toBe(idsBefore);
    expect(tf.memory().numTensors).toBe(tensorsBefore);
  });

  it('the small-product loop gives the same bits as XNNPACK one matrix at a time', async () => {
    await initRuntime({ backend: 'wasm', threads: 1 });
    const rng = new Rng(9);
    const [l, n, d] = [12, 16, 32];
    const av = randomArray(rng, l * n * d).map((v) => 3 * v);
    const cv = randomArray(rng, l * d * d);
    const a = tf.tensor3d(av, [l, n, d]);
    const c = tf.tensor3d(cv, [l, d, d]);
    const [loop, loopOuter] = [tf.matMul(a, c), tf.matMul(a, a, true, false)];
    for (let i = 0; i < l; i++) {
      const ai = tf.tensor2d(av.subarray(i * n * d, (i + 1) * n * d), [n, d]);
      const ci = tf.tensor2d(cv.subarray(i * d * d, (i + 1) * d * d), [d, d]);
      const [one, oneOuter] = [tf.matMul(ai, ci), tf.matMul(ai, ai, true, false)];
      expect(Array.from(one.dataSync())).toEqual(Array.from(loop.dataSync().subarray(i * n * d, (i + 1) * n * d)));
      expect(Array.from(oneOuter.dataSync())).toEqual(Array.from(loopOuter.dataSync().subarray(i * d * d, (i + 1) * d * d)));
      tf.dispose([ai, ci, one, oneOuter]);
    }
    tf.dispose([a, c, loop, loopOuter]);
  });

  it('rejects mismatched inner dimensions with the stock message', async () => {
    await initRuntime({ backend: 'wasm', threads: 1 });
    expect(() => tf.tidy(() => tf.matMul(tf.zeros([2, 3]), tf.zeros([4, 2])))).toThrow(/inner shapes/);
  });

  it('dense-layer gradients (transposed products) match', async () => {
    const rng = new Rng(6);
    const xv = randomArray(rng, 8 * 12);
    const wv = randomArray(rng, 12 * 6);
    await expectWasmMatchesCpu(() =>
      tf.grads((x: tf.Tensor, w: tf.Tensor) => tf.sigmoid(tf.matMul(x, w)).sum())([tf.tensor(xv, [8, 12]), tf.tensor(wv, [12, 6])]),
    );
  });
});
