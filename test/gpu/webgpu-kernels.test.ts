import * as tf from '@tensorflow/tfjs';
import { Rng } from '../../src/pipeline/core/random.js';
import { initRuntime } from '../../src/pipeline/runtime/backend.js';
import { nearestSources } from '../../src/pipeline/runtime/webgpu/kernels.js';
import { onBackend, randomArray, relError, size, trainingOpInputs } from '../pipeline/runtime/kernel-check.js';
import { describeGpu } from './gpu-gate.js';

// Every op a training step of the project's nets touches, forward and gradient, on webgpu against the cpu
// backend (the reference the wasm kernels are held to), 1e-4 relative: a wrong kernel shows up as a mismatch,
// a missing one as "not registered". Observed on lavapipe (Mesa 25.0.7): at most 2.6e-5 (resize gradients).
const TOL = 1e-4;

async function expectWebgpuMatchesCpu(fn: () => tf.Tensor | tf.Tensor[]): Promise<void> {
  const g = await onBackend('webgpu', fn);
  const c = await onBackend('cpu', fn);
  expect(g.length).toBe(c.length);
  for (let i = 0; i < g.length; i++) {
    const e = relError(g[i] as Float32Array, c[i] as Float32Array);
    expect({ output: i, err: e, ok: e <= TOL }).toEqual({ output: i, err: e, ok: true });
  }
}

describeGpu('webgpu kernels match the cpu backend (1e-4 relative)', () => {
  beforeAll(async () => {
    await initRuntime({ backend: 'webgpu' });
  });

  const { xv, wv, dv, gv, x } = trainingOpInputs();
  /** d/dx of sum(head(x) * fixed ramp): depends on every output. */
  const gradOf = (head: (h: tf.Tensor4D) => tf.Tensor) => (): tf.Tensor =>
    tf.grad((t: tf.Tensor) => {
      const y = head(t as tf.Tensor4D);
      return y.mul(tf.linspace(-1, 1, y.size).reshape(y.shape)).sum() as tf.Scalar;
    })(x());

  it.each<[string, () => tf.Tensor | tf.Tensor[]]>([
    ['batch norm (moments, FusedBatchNorm) + relu', gradOf((h) => {
      const { mean, variance } = tf.moments(h, [0, 1, 2]);
      return tf.relu(tf.batchNorm(h, mean, variance, tf.tensor1d(gv.map((g) => g * 0.1 + 1)), tf.tensor1d(gv), 1e-3));
    })],
    ['leakyRelu, elu, sigmoid, softplus, tanh', gradOf((h) => tf.leakyRelu(h, 0.2).add(tf.elu(h)).add(tf.sigmoid(h)).add(tf.softplus(h)).add(tf.tanh(h)))],
    ['maxPool 2x2 valid (non-square image: the stock wasm kernel got this wrong)', gradOf((h) => tf.maxPool(h, 2, 2, 'valid'))],
    ['maxPool / avgPool 3x3 stride 2 same, odd valid', gradOf((h) => tf.concat([
      tf.maxPool(h, 3, 2, 'same').reshape([2, -1]),
      tf.avgPool(h, 3, 2, 'same').reshape([2, -1]),
      tf.maxPool(h.slice([0, 0, 0, 0], [2, 7, 9, 4]), 3, 2, 'valid').reshape([2, -1]),
    ], 1))],
    ['resizeBilinear up and down: plain, alignCorners, halfPixelCenters', gradOf((h) => tf.concat([
      tf.image.resizeBilinear(h, [13, 17], false).reshape([2, -1]),
      tf.image.resizeBilinear(h, [13, 17], true).reshape([2, -1]),
      tf.image.resizeBilinear(h, [13, 17], false, true).reshape([2, -1]),
      tf.image.resizeBilinear(h, [4, 5], false, true).reshape([2, -1]),
    ], 1))],
    ['resizeNearestNeighbor up and down, halfPixelCenters (replaced on webgpu)', gradOf((h) => tf.concat([
      tf.image.resizeNearestNeighbor(h, [13, 17]).reshape([2, -1]),
      tf.image.resizeNearestNeighbor(h, [12, 15], false, true).reshape([2, -1]),
      tf.image.resizeNearestNeighbor(h, [4, 5], false, true).reshape([2, -1]),
      tf.image.resizeNearestNeighbor(h, [3, 7], false, true).reshape([2, -1]),
    ], 1))],
    ['tile, pad, slice, transpose, reshape', gradOf((h) => tf.tile(h, [1, 2, 1, 1]).pad([[0, 0], [1, 2], [3, 0], [0, 0]]).slice([0, 1, 2, 1], [2, 15, 9, 3]).transpose([0, 2, 1, 3]).reshape([2, -1]))],
    ['log1p, square, sqrt, abs, exp, log', gradOf((h) => tf.log1p(tf.abs(h)).add(tf.square(h)).add(tf.sqrt(tf.abs(h).add(1))).add(tf.exp(h.mul(0.1))).add(tf.log(h.square().add(1))))],
    ['maximum, minimum, where(greater), clip', gradOf((h) => {
      const other = h.reverse(2);
      return tf.maximum(h, other).add(tf.minimum(h, 0.5)).add(tf.where(tf.greater(x(), 0.2), h, other.mul(2))).add(tf.clipByValue(h, -0.5, 0.5));
    })],
    ['depthwise (stride 1 and 2, multiplier 2) and separable conv', gradOf((h) => tf.concat([
      tf.separableConv2d(h, tf.tensor4d(dv, [3, 3, 4, 1]), tf.tensor4d(wv.slice(0, 16), [1, 1, 4, 4]), 1, 'same').reshape([2, -1]),
      tf.depthwiseConv2d(h, tf.tensor4d(dv, [3, 3, 4, 1]), 2, 'same').reshape([2, -1]),
      tf.depthwiseConv2d(h, tf.tensor4d(wv.slice(0, 72).map((v) => v * 0.5), [3, 3, 4, 2]), 2, 'valid').reshape([2, -1]),
    ], 1))],
    ['depthwise filter gradient', () => tf.grad((f: tf.Tensor) => tf.depthwiseConv2d(x(), f as tf.Tensor4D, 2, 'same').mul(0.3).sum() as tf.Scalar)(tf.tensor4d(dv, [3, 3, 4, 1]))],
    ['fused conv + bias + relu, stride 2', gradOf((h) => tf.fused.conv2d({ x: h, filter: tf.tensor4d(wv, [3, 3, 4, 4]), strides: 2, pad: 'same', bias: tf.tensor1d(gv), activation: 'relu' }))],
    ['conv2dTranspose stride 2 (U-Net up-conv)', gradOf((h) => tf.conv2dTranspose(h, tf.tensor4d(wv.slice(0, 64), [2, 2, 4, 4]), [2, 16, 20, 4], 2, 'same'))],
    ['global mean/sum/max, softmax, logSoftmax', gradOf((h) => tf.softmax(h.mean([1, 2])).add(tf.logSoftmax(h.sum([1, 2]))).add(h.max([1, 2])))],
    ['batchMatMul: transposes and a broadcast batch', () => [
      tf.matMul(tf.tensor3d(xv.slice(0, 70), [2, 7, 5]), tf.tensor3d(xv.slice(100, 142), [2, 7, 3]), true, false),
      tf.matMul(tf.tensor3d(xv.slice(0, 70), [2, 5, 7]), tf.tensor3d(xv.slice(100, 142), [2, 3, 7]), false, true),
      tf.matMul(tf.tensor3d(xv.slice(0, 70), [2, 5, 7]), tf.tensor3d(xv.slice(100, 121), [1, 7, 3])),
    ]],
    ['dense gradients', () => tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.matMul(a as tf.Tensor2D, b as tf.Tensor2D).square().sum() as tf.Scalar)([tf.tensor2d(xv.slice(0, 54), [6, 9]), tf.tensor2d(xv.slice(200, 245), [9, 5])])],
    ['addN of 40 tensors (more than one shader may bind; replaced on webgpu) and of 3', () => [
      tf.addN(Array.from({ length: 40 }, (_, i) => tf.tensor1d(xv.slice(i, i + 5)).mul(i % 3 === 0 ? -1 : 1))),
      tf.addN([x(), x().mul(2), x().square()]),
    ]],
    ['a 21x21 mean filter (SRAD score) and reflect padding', () => [tf.avgPool(x().sum(3, true) as tf.Tensor4D, 21, 1, 'same'), tf.mirrorPad(x(), [[0, 0], [2, 2], [2, 2], [0, 0]], 'reflect')]],
  ])('%s', async (_, fn) => {
    await expectWebgpuMatchesCpu(fn);
  });

  // The cases the wasm convolution-gradient kernels are held to: odd sizes, strides, 'same'/'valid'/explicit.
  const CONV: [number[], number[], number | [number, number], 'same' | 'valid' | tf.backend_util.ExplicitPadding][] = [
    [[2, 7, 9, 3], [3, 3, 3, 5], 1, 'same'],
    [[1, 11, 10, 4], [3, 3, 4, 6], 2, 'same'],
    [[2, 9, 9, 3], [5, 5, 3, 2], 2, 'valid'],
    [[1, 8, 8, 4], [1, 1, 4, 8], 1, 'valid'],
    [[3, 13, 7, 2], [3, 2, 2, 3], [2, 1], 'same'],
    [[2, 6, 5, 2], [3, 3, 2, 3], 1, [[0, 0], [2, 1], [0, 2], [0, 0]]],
  ];
  it.each(CONV.map((c) => [`x${c[0].join('x')} f${c[1].join('x')} s${String(c[2])} ${typeof c[3] === 'string' ? c[3] : 'explicit'}`, c] as const))(
    'Conv2DBackpropFilter and Conv2DBackpropInput %s',
    async (_, [xs, fs, s, pad]) => {
      const r = new Rng(11);
      const xd = randomArray(r, size(xs));
      const fd = randomArray(r, size(fs));
      await expectWebgpuMatchesCpu(() => tf.grads((a: tf.Tensor, f: tf.Tensor) => {
        const y = tf.conv2d(a as tf.Tensor4D, f as tf.Tensor4D, s, pad);
        return y.mul(tf.linspace(-1, 1, y.size).reshape(y.shape)).sum() as tf.Scalar;
      })([tf.tensor4d(xd, xs as [number, number, number, number]), tf.tensor4d(fd, fs as [number, number, number, number])]));
    },
  );

  it('the replacement nearest-neighbour gradient picks the pixels the forward pass samples', () => {
    // 4 -> 2 with half-pixel centres samples 1 and 3; 4 -> 6 samples 0 1 1 2 3 3 (floor(scale * (o + 0.5)), scale 2/3).
    expect(nearestSources(4, 2)).toEqual([1, 3]);
    expect(nearestSources(4, 6)).toEqual([0, 1, 1, 2, 3, 3]);
  });
});
