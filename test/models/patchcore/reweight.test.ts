import { describe, expect, it } from '@jest/globals';
import * as tf from '@tensorflow/tfjs';
import { nearestDistances } from '../../../src/pipeline/submodels/patchcore/model/knn.js';
import { maxPatchOf, reweightFactors } from '../../../src/pipeline/submodels/patchcore/model/reweight.js';
import { Rng } from '../../../src/pipeline/core/random.js';
import { describeEachBackend } from '../../helpers/backends.js';

function randomRows(rows: number, dim: number, seed: number, scale = 1): Float32Array {
  const rng = new Rng(seed);
  return Float32Array.from({ length: rows * dim }, () => rng.normal() * scale);
}

const dist = (a: Float32Array, i: number, b: Float32Array, j: number, d: number): number => {
  let s = 0;
  for (let k = 0; k < d; k++) s += ((a[i * d + k] as number) - (b[j * d + k] as number)) ** 2;
  return Math.sqrt(s);
};

/** Paper eq. 7 in plain JS (float64): m* = nearest bank row of q, N_b = m* and its b-1 nearest other rows. */
function bruteWeight(q: Float32Array, qi: number, bank: Float32Array, rows: number, d: number, b: number): number {
  let star = 0;
  for (let r = 1; r < rows; r++) if (dist(q, qi, bank, r, d) < dist(q, qi, bank, star, d)) star = r;
  const others = Array.from({ length: rows }, (_, r) => r)
    .filter((r) => r !== star)
    .sort((x, y) => dist(bank, star, bank, x, d) - dist(bank, star, bank, y, d))
    .slice(0, b - 1);
  const support = [star, ...others].map((r) => dist(q, qi, bank, r, d));
  const hi = Math.max(...support);
  const z = support.reduce((s, v) => s + Math.exp(v - hi), 0);
  return 1 - Math.exp((support[0] as number) - hi) / z;
}

describeEachBackend('PatchCore kNN reweighting', () => {
  it('Given random queries and a bank, the weights match the brute-force paper formula and lie in [1-1/b, 1)', () => {
    const rows = 40;
    const d = 5;
    const n = 7;
    const b = 4;
    // Scale 0.3: distances of order 1, so that the softmax is not one-hot and the test can tell orders apart.
    const bank = randomRows(rows, d, 3, 0.3);
    const q = randomRows(n, d, 4, 0.3);
    const before = tf.memory().numTensors;
    const bankT = tf.tensor2d(bank, [rows, d]);
    const qT = tf.tensor2d(q, [n, d]);
    const { dist: nd, index } = nearestDistances(qT, bankT);
    const w = reweightFactors(qT, index, bankT, b);
    const got = Array.from(w.dataSync());
    for (let i = 0; i < n; i++) {
      const want = bruteWeight(q, i, bank, rows, d, b);
      expect(got[i]).toBeCloseTo(want, 4);
      expect(got[i]).toBeGreaterThanOrEqual(1 - 1 / b - 1e-6);
      expect(got[i]).toBeLessThan(1);
    }
    // Not a constant: the weights differ between queries.
    expect(Math.max(...got) - Math.min(...got)).toBeGreaterThan(1e-3);
    tf.dispose([bankT, qT, nd, index, w]);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('A query next to an isolated bank row keeps more of its score than one inside a tight cluster', () => {
    // Rows 0-3: a tight cluster at the origin; row 4: alone at (10, 0).
    const bank = tf.tensor2d([0, 0, 0.1, 0, 0, 0.1, 0.1, 0.1, 10, 0], [5, 2]);
    const q = tf.tensor2d([0.05, -0.5, 10, -0.5], [2, 2]);
    const { index } = nearestDistances(q, bank);
    const w = reweightFactors(q, index, bank, 3).dataSync();
    expect(w[1]).toBeGreaterThan(w[0] as number);
    expect(w[1]).toBeGreaterThan(0.99);
    tf.dispose([bank, q, index]);
  });

  it('maxPatchOf picks each image\'s largest-distance patch and its nearest row', () => {
    const patches = tf.tensor3d([1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6], [2, 3, 2]);
    const d = tf.tensor2d([0.1, 0.9, 0.2, 0.7, 0.3, 0.1], [2, 3]);
    const idx = tf.tensor2d([5, 6, 7, 8, 9, 10], [2, 3], 'int32');
    const { query, nearest } = maxPatchOf(patches, d, idx);
    expect(Array.from(query.dataSync())).toEqual([2, 2, 4, 4]);
    expect(Array.from(nearest.dataSync())).toEqual([6, 8]);
    tf.dispose([patches, d, idx, query, nearest]);
  });

  it('Refuses neighbours < 2 and mismatched dims with E_CONFIG', () => {
    const bank = tf.ones([4, 3]) as tf.Tensor2D;
    const q = tf.ones([1, 3]) as tf.Tensor2D;
    const i = tf.tensor1d([0], 'int32');
    expect(() => reweightFactors(q, i, bank, 1)).toThrow(expect.objectContaining({ code: 'E_CONFIG' }));
    expect(() => reweightFactors(tf.ones([1, 2]) as tf.Tensor2D, i, bank, 3)).toThrow(expect.objectContaining({ code: 'E_CONFIG' }));
    tf.dispose([bank, q, i]);
  });
});
