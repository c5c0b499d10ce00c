import * as tf from '@tensorflow/tfjs';
import { Rng } from '../../../src/pipeline/core/random.js';
import { initRuntime } from '../../../src/pipeline/runtime/backend.js';
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
  ];

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
