import { describe, expect, it } from '@jest/globals';
import * as tf from '@tensorflow/tfjs';
import { sfadFakeLoss, sfadLoss, sfadTrueLoss } from '../../../src/pipeline/submodels/sfad/model/loss.js';

describe('sfadLoss (truncated L1, margin 0.5)', () => {
  it('matches hand-computed terms', () => {
    // Given: D(q) = [1, 0.2, -0.3] and D(q~) = [-1, 0, 0.7]
    const before = tf.memory().numTensors;
    const [t, f, total] = tf.tidy(() => {
      const dTrue = tf.tensor2d([1, 0.2, -0.3], [3, 1]);
      const dFake = tf.tensor2d([-1, 0, 0.7], [3, 1]);
      const terms = sfadLoss(dTrue, dFake, 0.5);
      return [terms.trueLoss.dataSync()[0], terms.fakeLoss.dataSync()[0], terms.total.dataSync()[0]];
    });
    // Then: true = mean(0, 0.3, 0.8); fake = mean(0, 0.5, 1.2)
    expect(t).toBeCloseTo(1.1 / 3, 6);
    expect(f).toBeCloseTo(1.7 / 3, 6);
    expect(total).toBeCloseTo(2.8 / 3, 6);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('is zero once normal scores clear +m and noisy ones fall below -m, and honours the margin', () => {
    const before = tf.memory().numTensors;
    const values = tf.tidy(() => [
      sfadTrueLoss(tf.tensor1d([0.5, 2]), 0.5).dataSync()[0],
      sfadFakeLoss(tf.tensor1d([-0.5, -3]), 0.5).dataSync()[0],
      sfadTrueLoss(tf.tensor1d([0.5]), 1).dataSync()[0],
    ]);
    expect(values).toEqual([0, 0, 0.5]);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('pushes D(q) up and D(q~) down (gradient signs)', () => {
    const before = tf.memory().numTensors;
    const [gTrue, gFake] = tf.tidy(() => {
      const grads = tf.grads((a: tf.Tensor, b: tf.Tensor) => sfadLoss(a, b, 0.5).total);
      return grads([tf.tensor1d([0, 0]), tf.tensor1d([0, 0])]).map((g) => Array.from(g.dataSync()));
    });
    expect(gTrue).toEqual([-0.5, -0.5]);
    expect(gFake).toEqual([0.5, 0.5]);
    expect(tf.memory().numTensors).toBe(before);
  });
});
