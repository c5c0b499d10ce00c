import { describe, expect, it } from '@jest/globals';
import * as tf from '@tensorflow/tfjs';
import { gdeFromTensors, gdeToTensors, lpdGdeFit, lpdGdeScores, spdInverse } from '../../../src/pipeline/submodels/lpd/model/gde.js';
import { lpdAnomalyMap } from '../../../src/pipeline/submodels/lpd/model/anomaly-map.js';

describe('GDE', () => {
  it('inverts an SPD matrix (Cholesky)', () => {
    const inv = spdInverse(Float64Array.from([4, 2, 2, 3]), 2);
    expect(Array.from(inv).map((v) => Math.round(v * 1e9) / 1e9)).toEqual([3 / 8, -2 / 8, -2 / 8, 4 / 8]);
    expect(() => spdInverse(Float64Array.from([1, 2, 2, 1]), 2)).toThrow(/not positive definite/);
  });

  it('fits mean and shrunk covariance per location from a stream of batches', async () => {
    // Given: one location, D = 2, four samples in two batches: mean (2, 0), unbiased covariance (2/3) I
    const batches = [tf.tensor4d([1, 0, 3, 0], [2, 1, 1, 2]), tf.tensor4d([2, 1, 2, -1], [2, 1, 1, 2])];
    const before = tf.memory().numTensors - 2;
    const gde = await lpdGdeFit(batches, { shrinkage: 0, epsilon: 0.01 });
    expect(tf.memory().numTensors).toBe(before); // batches are disposed once read
    expect(gde.count).toBe(4);
    expect(Array.from(gde.mean)).toEqual([2, 0]);
    const v = 2 / 3 + 0.01;
    expect(gde.covInv[0]).toBeCloseTo(1 / v, 5);
    expect(gde.covInv[1]).toBeCloseTo(0, 6);
    // Then: the Mahalanobis distance of (2 + a, 0) is a / sqrt(v)
    const d = tf.tidy(() => lpdGdeScores(gde, tf.tensor4d([2.5, 0, 2, 0], [2, 1, 1, 2])).dataSync());
    expect(d[0]).toBeCloseTo(0.5 / Math.sqrt(v), 5);
    expect(d[1]).toBeCloseTo(0, 5);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('shrinks towards (trace / D) I so that a single image still gives a usable density', async () => {
    const gde = await lpdGdeFit([tf.tensor4d([1, 2, 3, 4, 5, 6, 7, 8], [1, 2, 2, 2])], { shrinkage: 0.5, epsilon: 0.1 });
    expect(gde.height).toBe(2);
    expect(gde.covInv[0]).toBeCloseTo(10, 5); // n = 1: covariance 0, only epsilon I remains
    const back = gdeFromTensors(gdeToTensors(gde));
    expect(back).toEqual(gde);
  });

  it('builds an image-sized map that peaks where embeddings leave the normal density', async () => {
    // Given: 8 normal 4x4x3 embedding maps around 0, then one with an outlier at (1, 2)
    const normals = tf.tidy(() => tf.randomNormal([8, 4, 4, 3], 0, 1, 'float32', 3)) as tf.Tensor4D;
    const gde = await lpdGdeFit([normals], { shrinkage: 0.1, epsilon: 0.01 });
    const before = tf.memory().numTensors;
    const [shape, map] = tf.tidy(() => {
      const e = tf.buffer([1, 4, 4, 3]);
      e.set(25, 0, 1, 2, 0);
      const m = lpdAnomalyMap(gde, e.toTensor() as tf.Tensor4D, 32, 4);
      return [m.shape, m.dataSync()];
    });
    expect(shape).toEqual([1, 32, 32]);
    const peak = map.indexOf(Math.max(...map));
    expect(Math.floor(Math.floor(peak / 32) / 8)).toBe(1);
    expect(Math.floor((peak % 32) / 8)).toBe(2);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('rejects embeddings of another size with E_CONFIG', async () => {
    const gde = await lpdGdeFit([tf.zeros([1, 2, 2, 2]) as tf.Tensor4D], { shrinkage: 0.1, epsilon: 0.1 });
    expect(() => tf.tidy(() => lpdGdeScores(gde, tf.zeros([1, 3, 3, 2]) as tf.Tensor4D))).toThrow(/\[3,3,2\] do not match the GDE fitted at \[2,2,2\]/);
  });
});
