import * as tf from '@tensorflow/tfjs';
import { accuracy, crossEntropyLoss } from '../../../src/models/classifier/loss.js';

describe('classifier/loss', () => {
  it('crossEntropyLoss with and without label smoothing equals the hand computation', () => {
    const before = tf.memory().numTensors;
    const probs = tf.tensor2d([0.7, 0.2, 0.1, 0.1, 0.1, 0.8], [2, 3]);
    const labels = tf.tensor1d([0, 1], 'int32');
    const plain = crossEntropyLoss(probs, labels, 0);
    expect(plain.dataSync()[0]).toBeCloseTo(-(Math.log(0.7) + Math.log(0.1)) / 2, 6);
    // eps 0.3, K 3: q = 0.8 on the label, 0.1 elsewhere.
    const smooth = crossEntropyLoss(probs, labels, 0.3);
    const s0 = -(0.8 * Math.log(0.7) + 0.1 * Math.log(0.2) + 0.1 * Math.log(0.1));
    const s1 = -(0.1 * Math.log(0.1) + 0.8 * Math.log(0.1) + 0.1 * Math.log(0.8));
    expect(smooth.dataSync()[0]).toBeCloseTo((s0 + s1) / 2, 6);
    const acc = accuracy(probs, labels);
    expect(acc.dataSync()[0]).toBeCloseTo(0.5, 6);
    tf.dispose([probs, labels, plain, smooth, acc]);
    expect(tf.memory().numTensors).toBe(before);
  });
});
