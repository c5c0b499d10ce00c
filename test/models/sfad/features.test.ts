import { describe, expect, it } from '@jest/globals';
import * as tf from '@tensorflow/tfjs';
import { adaptivePoolMatrix, aggregateFeatures, localAggregate, projectChannels } from '../../../src/models/components/feature-extractor-aggregation.js';

describe('SFAD feature aggregation', () => {
  it('averages each 3x3 neighbourhood (borders over the valid cells)', () => {
    const before = tf.memory().numTensors;
    const out = tf.tidy(() => localAggregate(tf.tensor4d([1, 2, 3, 4, 5, 6, 7, 8, 9], [1, 3, 3, 1])).dataSync());
    expect(out[4]).toBeCloseTo(5, 6);
    expect(out[0]).toBeCloseTo((1 + 2 + 4 + 5) / 4, 6);
    expect(out[1]).toBeCloseTo((1 + 2 + 3 + 4 + 5 + 6) / 6, 6);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('projects channels like PyTorch adaptive_avg_pool1d (5 -> 3 and 2 -> 4)', () => {
    const before = tf.memory().numTensors;
    const [down, up] = tf.tidy(() => [
      projectChannels(tf.tensor4d([0, 1, 2, 3, 4], [1, 1, 1, 5]), 3).dataSync(),
      projectChannels(tf.tensor4d([7, 9], [1, 1, 1, 2]), 4).dataSync(),
    ]);
    expect(Array.from(down)).toEqual([0.5, 2, 3.5]);
    expect(Array.from(up)).toEqual([7, 7, 9, 9]);
    expect(adaptivePoolMatrix(4, 2)).toEqual(Float32Array.from([0.5, 0, 0.5, 0, 0, 0.5, 0, 0.5]));
    expect(tf.memory().numTensors).toBe(before);
  });

  it('resizes the coarser map to the finer one bilinearly, concatenates, then projects', () => {
    const before = tf.memory().numTensors;
    const [shape, values] = tf.tidy(() => {
      // Given: a 4x4x2 map of ones and a 2x2x2 map of threes (constant, so resizing keeps the value)
      const fine = tf.ones([1, 4, 4, 2]) as tf.Tensor4D;
      const coarse = tf.fill([1, 2, 2, 2], 3) as tf.Tensor4D;
      const out = aggregateFeatures([coarse, fine], { featureDim: 2, patchSize: 3 });
      return [out.shape, out.dataSync()];
    });
    // Then: the output takes the finer size; channel 0 pools the coarse half (3), channel 1 the fine half (1)
    expect(shape).toEqual([1, 4, 4, 2]);
    for (let i = 0; i < 16; i++) {
      expect(values[2 * i]).toBeCloseTo(3, 5);
      expect(values[2 * i + 1]).toBeCloseTo(1, 5);
    }
    expect(tf.memory().numTensors).toBe(before);
  });

  it('rejects an empty layer list and a non-positive dim', () => {
    expect(() => aggregateFeatures([], { featureDim: 4 })).toThrow(/at least one/);
    expect(() => tf.tidy(() => aggregateFeatures([tf.ones([1, 2, 2, 1]) as tf.Tensor4D], { featureDim: 0 }))).toThrow(/positive/);
  });
});
