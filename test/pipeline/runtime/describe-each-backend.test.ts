import * as tf from '@tensorflow/tfjs';
import { describeEachBackend } from '../../helpers/backends.js';

const seen: string[] = [];

describeEachBackend('describeEachBackend', (backend) => {
  it('runs the block with that backend active', () => {
    expect(tf.getBackend()).toBe(backend);
    seen.push(backend);
    const before = tf.memory().numTensors;
    const y = tf.tidy(() => tf.conv2d(tf.ones([1, 5, 5, 2]) as tf.Tensor4D, tf.ones([3, 3, 2, 1]) as tf.Tensor4D, 1, 'valid'));
    expect(Array.from(y.dataSync())).toEqual(Array(9).fill(18));
    y.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});

afterAll(() => {
  expect(seen).toEqual(['wasm', 'cpu']);
});
