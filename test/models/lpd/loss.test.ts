import { describe, expect, it } from '@jest/globals';
import * as tf from '@tensorflow/tfjs';
import { bceLoss, bceWithLogitsLoss } from '../../../src/pipeline/submodels/lpd/model/loss.js';

describe('bceLoss', () => {
  it('matches hand values: p = [0.9, 0.2], y = [1, 0]', () => {
    const before = tf.memory().numTensors;
    const [patched, normal, total] = tf.tidy(() => {
      const t = bceLoss(tf.tensor2d([0.9, 0.2], [2, 1]), tf.tensor1d([1, 0]));
      return [t.patchedTerm, t.normalTerm, t.total].map((s) => s.dataSync()[0] as number);
    });
    // -(log 0.9)/2 and -(log 0.8)/2
    expect(patched).toBeCloseTo(-Math.log(0.9) / 2, 6);
    expect(normal).toBeCloseTo(-Math.log(0.8) / 2, 6);
    expect(total).toBeCloseTo(0.1642521, 6);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('clips saturated probabilities instead of returning Infinity', () => {
    const total = tf.tidy(() => bceLoss(tf.tensor1d([0, 1]), tf.tensor1d([1, 0])).total.dataSync()[0] as number);
    expect(Number.isFinite(total)).toBe(true);
    // ~ -log(1e-7); float32 rounds 1 - 1e-7 to 1 - 1.19e-7 on the other side
    expect(total).toBeGreaterThan(15.9);
    expect(total).toBeLessThan(16.2);
  });

  it('gives the same value from logits, stably for large |z|', () => {
    const before = tf.memory().numTensors;
    const [fromLogits, fromProbs, big] = tf.tidy(() => {
      const z = tf.tensor1d([Math.log(0.9 / 0.1), Math.log(0.2 / 0.8), 0.3]);
      const y = tf.tensor1d([1, 0, 1]);
      return [
        bceWithLogitsLoss(z, y).total.dataSync()[0] as number,
        bceLoss(tf.sigmoid(z), y).total.dataSync()[0] as number,
        bceWithLogitsLoss(tf.tensor1d([200, -200]), tf.tensor1d([0, 1])).total.dataSync()[0] as number,
      ];
    });
    expect(fromLogits).toBeCloseTo(fromProbs, 5);
    expect(big).toBeCloseTo(200, 3);
    expect(tf.memory().numTensors).toBe(before);
  });
});
