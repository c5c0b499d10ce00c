import { describe, expect, it } from '@jest/globals';
import * as tf from '@tensorflow/tfjs';
import { gaussianKernel1d, gaussianSmooth, scaledSigma } from '../../../src/models/components/gaussian-smooth.js';
import { sfadAnomalyMap, sfadImageScore } from '../../../src/pipeline/submodels/sfad/model/anomaly-map.js';

// scipy.ndimage.gaussian_filter(x, sigma=1.0) (mode 'reflect', truncate 4) of a 6x7 map with
// x[1,2] = 1, x[4,6] = 2, x[0,0] = 0.5, computed offline with SciPy.
const SCIPY_INPUT: [number, number, number][] = [
  [1, 2, 1],
  [4, 6, 2],
  [0, 0, 0.5],
];
const SCIPY_SIGMA1 = [
  0.222677, 0.1664975, 0.1367945, 0.0730788, 0.0160379, 0.0013909, 0.0002112, 0.1184098, 0.1414562, 0.1695706, 0.0983214, 0.0223163,
  0.004411, 0.0057349, 0.0328666, 0.0672605, 0.0983074, 0.0592089, 0.0193841, 0.0330317, 0.0692398, 0.0046174, 0.0137472, 0.0217376,
  0.0152855, 0.0312044, 0.1435475, 0.310345, 0.0003018, 0.0010928, 0.0018799, 0.0047561, 0.0473721, 0.2387876, 0.5170591, 7.8e-6,
  3.24e-5, 0.0001326, 0.0027349, 0.0345893, 0.1751883, 0.3793737,
];

describe('gaussianSmooth', () => {
  it('matches scipy.ndimage.gaussian_filter (reflect borders, truncate 4) to 1e-6', () => {
    const before = tf.memory().numTensors;
    const out = tf.tidy(() => {
      const x = tf.buffer([1, 6, 7, 1]);
      for (const [r, c, v] of SCIPY_INPUT) x.set(v, 0, r, c, 0);
      return gaussianSmooth(x.toTensor() as tf.Tensor4D, 1).dataSync();
    });
    out.forEach((v, i) => expect(v).toBeCloseTo(SCIPY_SIGMA1[i] as number, 6));
    expect(tf.memory().numTensors).toBe(before);
  });

  it('keeps a constant map constant, passes sigma 0 through, caps the radius on tiny maps', () => {
    const before = tf.memory().numTensors;
    const [constant, identity, tiny] = tf.tidy(() => [
      gaussianSmooth(tf.fill([2, 5, 5, 1], 3) as tf.Tensor4D, 2).dataSync(),
      gaussianSmooth(tf.tensor4d([1, 2, 3, 4], [1, 2, 2, 1]), 0).dataSync(),
      gaussianSmooth(tf.tensor4d([1, 0, 0, 0], [1, 2, 2, 1]), 10).dataSync(),
    ]);
    constant.forEach((v) => expect(v).toBeCloseTo(3, 5));
    expect(Array.from(identity)).toEqual([1, 2, 3, 4]);
    expect(Array.from(tiny).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('uses normalised taps of radius round(4 sigma) and scales sigma with image size', () => {
    const k = gaussianKernel1d(1.5);
    expect(k.length).toBe(13);
    expect(k.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 6);
    expect((k[6] as number) / (k[7] as number)).toBeCloseTo(Math.exp(0.5 / 2.25), 5);
    expect(scaledSigma(4, 288)).toBe(4);
    expect(scaledSigma(4, 64)).toBeCloseTo(0.8889, 4);
  });
});

describe('sfadAnomalyMap / sfadImageScore', () => {
  it('upsamples patch scores to image size, smooths them and scores the image by the max', () => {
    const before = tf.memory().numTensors;
    const [shape, maps, scores] = tf.tidy(() => {
      // Given: two images of 4x4 patch scores, the second with one hot patch
      const s = tf.buffer([2, 4, 4, 1]);
      s.set(5, 1, 2, 1, 0);
      const map = sfadAnomalyMap(s.toTensor() as tf.Tensor4D, 32, 4);
      return [map.shape, map.dataSync(), sfadImageScore(map).dataSync()];
    });
    expect(shape).toEqual([2, 32, 32]);
    // image 0 is all zero; image 1 peaks inside the hot patch (rows 16-23, cols 8-15) below the raw 5
    expect(scores[0]).toBe(0);
    const second = maps.slice(32 * 32);
    const peak = second.indexOf(Math.max(...second));
    expect(Math.floor(peak / 32)).toBeGreaterThanOrEqual(16);
    expect(Math.floor(peak / 32)).toBeLessThan(24);
    expect(peak % 32).toBeGreaterThanOrEqual(8);
    expect(peak % 32).toBeLessThan(16);
    expect(scores[1]).toBeCloseTo(Math.max(...second), 6);
    expect(scores[1]).toBeLessThan(5);
    expect(scores[1]).toBeGreaterThan(1);
    expect(tf.memory().numTensors).toBe(before);
  });
});
