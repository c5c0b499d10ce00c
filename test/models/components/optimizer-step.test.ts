import * as tf from '@tensorflow/tfjs';
import { minimizeReporting } from '../../../src/models/components/optimizer-step.js';
import { describeEachBackend } from '../../helpers/backends.js';

describeEachBackend('minimizeReporting', () => {
  it('steps only the listed variables and reads the total and its parts back, leaking nothing', async () => {
    // Given x = 3 (listed) and y = 5 (not listed), loss = x^2 + y, parts 2x and y
    const x = tf.variable(tf.scalar(3));
    const y = tf.variable(tf.scalar(5));
    const optimizer = tf.train.sgd(0.1);
    const before = tf.memory().numTensors;
    // When one step is taken
    const values = await minimizeReporting(optimizer, [x], () => ({ total: x.square().add(y) as tf.Scalar, parts: [x.mul(2) as tf.Scalar, y.toFloat() as tf.Scalar] }));
    // Then the values are those before the update, x moved by -lr * 2x and y did not move
    expect(values).toEqual([14, 6, 5]);
    expect(x.dataSync()[0]).toBeCloseTo(2.4, 6);
    expect(y.dataSync()[0]).toBe(5);
    expect(tf.memory().numTensors).toBe(before);
    optimizer.dispose();
    tf.dispose([x, y]);
  });
});
