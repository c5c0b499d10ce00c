/** @jest-environment ./test/pipeline/engines/ort-environment.cjs */
// Given random maps and features, when the ONNX versions of the score/map post-processing run in onnxruntime,
// then they equal the tfjs functions they replace (sizes chosen so that border handling and resampling matter).
import * as tf from '@tensorflow/tfjs';
import { aggregateFeatures as tfAggregate } from '../../../src/models/components/feature-extractor-aggregation.js';
import { gaussianSmooth as tfGaussian, patchScoresToMap as tfPatchToMap } from '../../../src/models/components/gaussian-smooth.js';
import { gdeFinish, gdeAccumulator, lpdGdeScores } from '../../../src/pipeline/submodels/lpd/model/gde.js';
import { meanFilter, sradImageScore } from '../../../src/pipeline/submodels/srad/model/anomaly-map.js';
import { imageInput, publish } from '../../../src/pipeline/export/layers-model-graph.js';
import { aggregateFeatures, gaussianSmooth, gdeDistance, meanFilteredMax, patchScoresToMap, resizeBilinear, separableFilter, type SizedVal } from '../../../src/pipeline/export/map-ops.js';
import { OnnxGraph } from '../../../src/pipeline/export/onnx-graph.js';
import { boxWindow } from '../../../src/pipeline/submodels/srad/model/filters.js';
import { initRuntime } from '../../../src/pipeline/runtime/backend.js';
import { graphBytes, maxAbsDiff, runBytes, seededInput } from './onnx-test-helpers.js';

const TOL = 2e-6;

/** One NHWC input [n,h,w,c] -> f(NCHW value) -> NHWC output [n,oh,ow,oc]. */
async function runOp(shape: [number, number, number, number], input: Float32Array, f: (g: OnnxGraph, x: SizedVal) => SizedVal | { name: string; shape: (number | null)[] }): Promise<{ data: Float32Array; dims: number[] }> {
  const g = new OnnxGraph('op');
  const [, h, w, c] = shape;
  const x = { ...imageInput(g, 'x', [null, h, w, c]), channels: c, height: h, width: w };
  const y = f(g, x);
  if ('shape' in y) g.output(y.name, 'y', y.shape.map((d, i) => (d === null ? `d${i}` : d)));
  else publish(g, y, 'y', [null, y.height, y.width, y.channels]);
  return (await runBytes(graphBytes(g), input, shape)).y as { data: Float32Array; dims: number[] };
}

describe('ONNX map and score operations vs tfjs', () => {
  beforeAll(async () => {
    await initRuntime({ backend: 'wasm', threads: 1 });
  });

  it('SRAD mean filter (21x21, zero border in the mean) and its max', async () => {
    const shape: [number, number, number, number] = [2, 24, 24, 1];
    const data = seededInput(shape, 1);
    const [refMap, refScore] = tf.tidy(() => {
      const m = tf.tensor3d(data, [2, 24, 24]);
      return [meanFilter(m, 21).dataSync().slice(), sradImageScore(m, 21).dataSync().slice()];
    });
    const filtered = await runOp(shape, data, (g, x) => separableFilter(g, x, boxWindow(21), 'f'));
    expect(maxAbsDiff(filtered.data, refMap as Float32Array)).toBeLessThan(TOL);
    const score = await runOp(shape, data, (g, x) => ({ name: meanFilteredMax(g, x, 21, 's'), shape: [null] }));
    expect(score.dims).toEqual([2]);
    expect(maxAbsDiff(score.data, refScore as Float32Array)).toBeLessThan(TOL);
  });

  it('Gaussian smoothing with mirrored (symmetric) borders, radius capped at the map size', async () => {
    for (const [side, sigma] of [[12, 1.6], [5, 3]] as const) {
      const shape: [number, number, number, number] = [2, side, side, 1];
      const data = seededInput(shape, side);
      const ref = tf.tidy(() => tfGaussian(tf.tensor4d(data, shape), sigma).dataSync().slice());
      const got = await runOp(shape, data, (g, x) => gaussianSmooth(g, x, sigma, 'g'));
      expect(maxAbsDiff(got.data, ref as Float32Array)).toBeLessThan(TOL);
    }
  });

  it('bilinear resizing: half-pixel (any ratio) and TF legacy', async () => {
    const shape: [number, number, number, number] = [1, 7, 5, 3];
    const data = seededInput(shape, 4);
    for (const half of [true, false]) {
      const ref = tf.tidy(() => tf.image.resizeBilinear(tf.tensor4d(data, shape), [16, 13], false, half).dataSync().slice());
      const got = await runOp(shape, data, (g, x) => resizeBilinear(g, x, 16, 13, half, 'r'));
      expect(got.dims).toEqual([1, 16, 13, 3]);
      expect(maxAbsDiff(got.data, ref as Float32Array)).toBeLessThan(TOL);
    }
  });

  it('patch scores to maps: upsample to the image size, then scaled-sigma smoothing', async () => {
    const shape: [number, number, number, number] = [2, 6, 6, 1];
    const data = seededInput(shape, 8, -2, 2);
    const ref = tf.tidy(() => tfPatchToMap(tf.tensor4d(data, shape), 48, 4).dataSync().slice());
    const got = await runOp(shape, data, (g, x) => patchScoresToMap(g, x, 48, 4, 'm'));
    expect(got.dims).toEqual([2, 48, 48, 1]);
    expect(maxAbsDiff(got.data, ref as Float32Array)).toBeLessThan(TOL);
  });

  it('SimpleNet aggregation: local mean, resize to the largest map, concat and channel projection', async () => {
    // Two maps from one input: the second is the first average-pooled to half size with more channels.
    const shape: [number, number, number, number] = [2, 8, 8, 6];
    const data = seededInput(shape, 9);
    const ref = tf.tidy(() => {
      const a = tf.tensor4d(data, shape);
      const b = tf.concat([tf.avgPool(a, 2, 2, 'valid'), tf.avgPool(a, 2, 2, 'valid').mul(-1)], 3) as tf.Tensor4D;
      return tfAggregate([a, b], { patchSize: 3, featureDim: 7 }).dataSync().slice();
    });
    const got = await runOp(shape, data, (g, a) => {
      const pooled = g.node('AveragePool', [a.name], { kernel_shape: { kind: 'ints', value: [2, 2] }, strides: { kind: 'ints', value: [2, 2] } }, 'p');
      const neg = g.node('Neg', [pooled], {}, 'n');
      const b: SizedVal = { ...a, name: g.node('Concat', [pooled, neg], { axis: { kind: 'int', value: 1 } }, 'b'), height: 4, width: 4, channels: 12 };
      return aggregateFeatures(g, [a, b], 3, 7, 'agg');
    });
    expect(got.dims).toEqual([2, 8, 8, 7]);
    expect(maxAbsDiff(got.data, ref as Float32Array)).toBeLessThan(TOL);
  });

  it('GDE Mahalanobis distance per location', async () => {
    const shape: [number, number, number, number] = [3, 2, 3, 4];
    const data = seededInput(shape, 10);
    // A fitted GDE from random sums (shrinkage keeps it invertible).
    const acc = gdeAccumulator(2, 3, 4);
    const fit = seededInput([5 * 6 * 4], 11);
    for (let s = 0; s < 5; s++) {
      for (let l = 0; l < 6; l++) {
        for (let i = 0; i < 4; i++) {
          const xi = fit[(s * 6 + l) * 4 + i] as number;
          acc.sum[l * 4 + i] = (acc.sum[l * 4 + i] as number) + xi;
          for (let j = 0; j < 4; j++) acc.outer[l * 16 + i * 4 + j] = (acc.outer[l * 16 + i * 4 + j] as number) + xi * (fit[(s * 6 + l) * 4 + j] as number);
        }
      }
    }
    acc.count = 5;
    const gde = gdeFinish(acc, { shrinkage: 0.1, epsilon: 0.01 });
    const ref = tf.tidy(() => lpdGdeScores(gde, tf.tensor4d(data, shape)).dataSync().slice());
    const got = await runOp(shape, data, (g, x) => gdeDistance(g, x, gde.mean, gde.covInv, 'gde'));
    expect(got.dims).toEqual([3, 2, 3, 1]);
    expect(maxAbsDiff(got.data, ref as Float32Array)).toBeLessThan(1e-4 * Math.max(1, ...Array.from(ref as Float32Array)));
  });
});
