import * as tf from '@tensorflow/tfjs';
import type { Detector } from '../../../src/pipeline/detectors/detector.js';
import { classifyBatch, scoreBatch } from '../../../src/pipeline/infer/detector-batch.js';
import type { Classifier } from '../../../src/pipeline/infer/classifier-contract.js';
import { describeEachBackend } from '../../helpers/backends.js';

/** A detector whose map is the red channel and whose score is the map's sum: easy to compute by hand. */
function redDetector(size: number): Detector {
  return {
    kind: 'srad',
    category: 'c',
    imageSize: size,
    artifactDir: null,
    predict: (x) => tf.tidy(() => {
      const maps = x.slice([0, 0, 0, 0], [-1, -1, -1, 1]).squeeze([3]) as tf.Tensor3D;
      return { maps, scores: maps.sum([1, 2]) as tf.Tensor1D };
    }),
    dispose: () => undefined,
  };
}

/** 4x4 images whose red channel is constant per 2x2 quadrant (so bilinear 4 -> 2 is exact). */
function quadrants(values: [number, number, number, number]): { width: number; height: number; data: Float32Array } {
  const data = new Float32Array(4 * 4 * 3);
  for (let y = 0; y < 4; y++) for (let x = 0; x < 4; x++) data[(y * 4 + x) * 3] = values[(y >> 1) * 2 + (x >> 1)] as number;
  return { width: 4, height: 4, data };
}

describeEachBackend('detector batches', () => {
  it('resizes images to the detector size, maps to the requested size, and leaks no tensor', async () => {
    const before = tf.memory().numTensors;
    const images = [quadrants([1, 0, 0, 0]), quadrants([0, 0.5, 0.5, 1])];
    // At the detector size 2, each quadrant becomes one pixel.
    const small = await scoreBatch(redDetector(2), images);
    expect(small.mapSize).toBe(2);
    expect(Array.from(small.maps)).toEqual([1, 0, 0, 0, 0, 0.5, 0.5, 1]);
    expect(Array.from(small.scores)).toEqual([1, 2]);
    // Maps asked for at size 4 are upsampled back (constant quadrants stay constant at their centres).
    const big = await scoreBatch(redDetector(2), images, 4);
    expect(big.maps.length).toBe(2 * 16);
    expect(big.maps[0]).toBeCloseTo(1, 6);
    expect(big.maps[16 + 15]).toBeCloseTo(1, 6);
    // Scores only: nothing is read back for the maps.
    expect((await scoreBatch(redDetector(4), images, 4, false)).maps.length).toBe(0);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('classifies with top-1 index and confidence, checking the classifier output shape', async () => {
    const before = tf.memory().numTensors;
    const classifier: Classifier = {
      categories: ['a', 'b', 'c'],
      imageSize: 2,
      predict: (x) => tf.tidy(() => tf.softmax(x.mean([1, 2]).mul(10)) as tf.Tensor2D),
      dispose: () => undefined,
    };
    const img = (rgb: [number, number, number]): { width: number; height: number; data: Float32Array } => ({ width: 2, height: 2, data: new Float32Array([...rgb, ...rgb, ...rgb, ...rgb]) });
    const top = await classifyBatch(classifier, [img([0, 1, 0]), img([0, 0, 1])]);
    expect(Array.from(top.index)).toEqual([1, 2]);
    expect(top.confidence[0]).toBeCloseTo(Math.exp(10) / (Math.exp(10) + 2), 5);
    const bad = { ...classifier, categories: ['a', 'b'] };
    await expect(classifyBatch(bad, [img([0, 1, 0])])).rejects.toMatchObject({ code: 'E_INTERNAL' });
    expect(tf.memory().numTensors).toBe(before);
  });

  it('gives the same top-1 through the async contract, ties to the first maximum as tf.argMax', async () => {
    // Given probabilities with a tie in row 0 (columns 1 and 2) and a clear maximum in row 1
    const rows = [0.2, 0.4, 0.4, 0.7, 0.1, 0.2];
    const images = [{ width: 2, height: 2, data: new Float32Array(12) }, { width: 2, height: 2, data: new Float32Array(12) }];
    const sync: Classifier = { categories: ['a', 'b', 'c'], imageSize: 2, predict: () => tf.tensor2d(rows, [2, 3]), dispose: () => undefined };
    const asyncOne = { categories: ['a', 'b', 'c'], imageSize: 2, engine: 'onnx' as const, predictAsync: async () => Float32Array.from(rows), dispose: () => undefined };
    // When both are asked; Then both pick column 1 for the tie and column 0 for row 1, with the same confidences
    for (const c of [sync, asyncOne]) {
      const top = await classifyBatch(c, images);
      expect(Array.from(top.index)).toEqual([1, 0]);
      expect(Array.from(top.confidence)).toEqual([Math.fround(0.4), Math.fround(0.7)]);
    }
    const short = { ...asyncOne, predictAsync: async () => new Float32Array(5) };
    await expect(classifyBatch(short, images)).rejects.toMatchObject({ code: 'E_INTERNAL', message: expect.stringMatching(/onnx engine returned 5 probabilities; expected 2 x 3/) });
  });
});
