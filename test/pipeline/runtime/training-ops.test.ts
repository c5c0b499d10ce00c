import * as tf from '@tensorflow/tfjs';
import { Rng } from '../../../src/pipeline/core/random.js';
import { initRuntime } from '../../../src/pipeline/runtime/backend.js';
import { expectWasmMatchesCpu, randomArray, trainingOpInputs } from './kernel-check.js';

// Every kernel that a training step of the project's nets touches must exist on wasm and agree with cpu:
// a missing wasm kernel throws "not registered", a wrong one shows up as a gradient mismatch.
describe('gradients of the ops the models train with agree on wasm and cpu', () => {
  beforeAll(async () => {
    await initRuntime({ backend: 'wasm', threads: 1 });
  });

  const { xv, wv, dv, gv, x } = trainingOpInputs();

  const heads: [string, (h: tf.Tensor4D) => tf.Tensor][] = [
    ['batch norm (moments, FusedBatchNorm) + relu', (h) => {
      const { mean, variance } = tf.moments(h, [0, 1, 2]);
      return tf.relu(tf.batchNorm(h, mean, variance, tf.tensor1d(gv.map((g) => g * 0.1 + 1)), tf.tensor1d(gv), 1e-3));
    }],
    ['leakyRelu, elu, sigmoid, softplus, tanh', (h) => tf.leakyRelu(h, 0.2).add(tf.elu(h)).add(tf.sigmoid(h)).add(tf.softplus(h)).add(tf.tanh(h))],
    ['maxPool / avgPool 2x2 and 3x3 stride 2', (h) => tf.concat([
      tf.maxPool(h, 2, 2, 'valid').resizeBilinear([8, 10]),
      tf.avgPool(h, 3, 2, 'same').resizeBilinear([8, 10]),
      tf.maxPool(h, 3, 2, 'same').resizeBilinear([8, 10]),
      tf.maxPool(h.slice([0, 0, 0, 0], [2, 7, 9, 4]), 3, 2, 'valid').resizeBilinear([8, 10]),
    ], 3)],
    ['resizeBilinear up (align corners both ways) and nearest', (h) => tf.concat([
      tf.image.resizeBilinear(h, [13, 17], false),
      tf.image.resizeBilinear(h, [13, 17], true),
      tf.image.resizeNearestNeighbor(h, [13, 17]),
    ], 3)],
    ['tile, pad, slice, transpose, reshape', (h) => tf.tile(h, [1, 2, 1, 1]).pad([[0, 0], [1, 2], [3, 0], [0, 0]]).slice([0, 1, 2, 1], [2, 15, 9, 3]).transpose([0, 2, 1, 3]).reshape([2, -1])],
    ['log1p, square, sqrt, abs, exp, log', (h) => tf.log1p(tf.abs(h)).add(tf.square(h)).add(tf.sqrt(tf.abs(h).add(1))).add(tf.exp(h.mul(0.1))).add(tf.log(h.square().add(1)))],
    ['maximum, minimum, where(greater), less, cast, clip', (h) => {
      const other = h.reverse(2);
      // Masks come from a constant copy: comparisons have no gradient in tfjs.
      const constant = x();
      return tf.maximum(h, other).add(tf.minimum(h, 0.5)).add(tf.where(tf.greater(constant, 0.2), h, other.mul(2)))
        .add(tf.where(tf.less(constant, 0), h.mul(0.3), h)).add(tf.cast(tf.cast(h.mul(4), 'int32'), 'float32'))
        .add(tf.clipByValue(h, -0.5, 0.5));
    }],
    ['depthwise conv + separable conv', (h) => tf.separableConv2d(h, tf.tensor4d(dv, [3, 3, 4, 1]), tf.tensor4d(wv.slice(0, 16), [1, 1, 4, 4]), 1, 'same')],
    ['conv + bias + relu (fused) and stride-2 conv', (h) => tf.fused.conv2d({ x: h, filter: tf.tensor4d(wv, [3, 3, 4, 4]), strides: 2, pad: 'same', bias: tf.tensor1d(gv), activation: 'relu' })],
    ['global mean/sum, softmax, logSoftmax', (h) => tf.softmax(h.mean([1, 2])).add(tf.logSoftmax(h.sum([1, 2]))).add(h.max([1, 2]))],
  ];

  it.each(heads)('%s', async (_, head) => {
    await expectWasmMatchesCpu(() => {
      const gx = tf.grad((t: tf.Tensor) => {
        const y = head(t as tf.Tensor4D);
        // A fixed, non-uniform weighting so that the gradient depends on every output.
        const weights = tf.linspace(-1, 1, y.size).reshape(y.shape);
        return y.mul(weights).sum() as tf.Scalar;
      })(x());
      return gx;
    });
  });

  it('a tf.layers model trains one step identically on both (Adam, BN, conv, dense)', async () => {
    const run = (): tf.Tensor[] => {
      const model = tf.sequential({
        layers: [
          tf.layers.conv2d({ inputShape: [8, 10, 4], filters: 6, kernelSize: 3, padding: 'same', useBias: false, kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }) }),
          tf.layers.batchNormalization(),
          tf.layers.activation({ activation: 'relu' }),
          tf.layers.conv2dTranspose({ filters: 4, kernelSize: 2, strides: 2, padding: 'same', kernelInitializer: tf.initializers.glorotUniform({ seed: 2 }) }),
          tf.layers.globalAveragePooling2d({}),
          tf.layers.dense({ units: 3, kernelInitializer: tf.initializers.glorotUniform({ seed: 3 }) }),
        ],
      });
      const opt = tf.train.adam(1e-2);
      const input = x();
      for (let i = 0; i < 2; i++) {
        opt.minimize(() => (model.apply(input, { training: true }) as tf.Tensor).square().mean() as tf.Scalar);
      }
      const weights = model.getWeights().map((w) => w.clone());
      model.dispose();
      opt.dispose();
      return weights;
    };
    await expectWasmMatchesCpu(run, 1e-3);
  });
});

// The cpu backend's own resize gradients are wrong on non-square images in tfjs 4.22 (madenet patches them):
// the adjoint identity <resize(x), y> = <x, resize'(y)> checks each backend's pair of kernels on its own.
describe.each(['wasm', 'cpu'] as const)('resize gradients are the adjoint of the forward pass [%s]', (backend) => {
  it.each([
    ['bilinear', false, false],
    ['bilinear, align corners', true, false],
    ['bilinear, half pixel centres', false, true],
    ['nearest', false, false],
    ['nearest, align corners', true, false],
    ['nearest, half pixel centres', false, true],
  ] as const)('%s, up and down, non-square', async (kind, alignCorners, halfPixel) => {
    await initRuntime({ backend, threads: 1 });
    const rng = new Rng(9);
    for (const [inH, inW, outH, outW] of [[8, 10, 13, 17], [9, 12, 4, 5]]) {
      const xv = randomArray(rng, 2 * inH * inW * 3);
      const yv = randomArray(rng, 2 * outH * outW * 3);
      const before = tf.memory().numTensors;
      const [lhs, rhs] = tf.tidy(() => {
        const xt = tf.tensor4d(xv, [2, inH, inW, 3]);
        const yt = tf.tensor4d(yv, [2, outH, outW, 3]);
        const resize = (t: tf.Tensor4D): tf.Tensor4D => kind === 'bilinear'
          ? tf.image.resizeBilinear(t, [outH, outW], alignCorners, halfPixel)
          : tf.image.resizeNearestNeighbor(t, [outH, outW], alignCorners, halfPixel);
        const g = tf.grad((t: tf.Tensor) => resize(t as tf.Tensor4D).mul(yt).sum() as tf.Scalar)(xt);
        expect(g.shape).toEqual([2, inH, inW, 3]);
        return [resize(xt).mul(yt).sum().dataSync()[0], xt.mul(g).sum().dataSync()[0]];
      });
      expect(Math.abs(lhs - rhs)).toBeLessThan(1e-4 * Math.max(1, Math.abs(lhs)));
      expect(tf.memory().numTensors).toBe(before);
    }
  });
});
