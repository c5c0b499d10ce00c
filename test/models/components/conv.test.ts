import * as tf from '@tensorflow/tfjs';
import { conv2d, convTranspose2dX2, upsampleBilinear } from '../../../src/models/components/conv.js';
import { describeEachBackend } from '../../helpers/backends.js';

/** PyTorch ConvTranspose2d: out[j] = sum_{i,k: j = i*s - p + k} in[i] * w[k]; x [H,W,Ci], w [k,k,Co,Ci] (tfjs layout). */
function torchConvTranspose(x: number[][][], w: number[][][][], s: number, p: number): number[][][] {
  const h = x.length;
  const wd = (x[0] as number[][]).length;
  const k = w.length;
  const co = (w[0] as number[][][])[0]!.length;
  const oh = (h - 1) * s - 2 * p + k;
  const ow = (wd - 1) * s - 2 * p + k;
  const out = Array.from({ length: oh }, () => Array.from({ length: ow }, () => new Array<number>(co).fill(0)));
  for (let i = 0; i < h; i++)
    for (let j = 0; j < wd; j++)
      for (let ky = 0; ky < k; ky++)
        for (let kx = 0; kx < k; kx++) {
          const oy = i * s - p + ky;
          const ox = j * s - p + kx;
          if (oy < 0 || ox < 0 || oy >= oh || ox >= ow) continue;
          const xin = x[i]![j]!;
          for (let c = 0; c < co; c++)
            for (let ci = 0; ci < xin.length; ci++) out[oy]![ox]![c]! += xin[ci]! * w[ky]![kx]![c]![ci]!;
        }
  return out;
}

/** PyTorch Conv2d (cross-correlation, zero padding p each side); w [k,k,Ci,Co]. */
function torchConv(x: number[][][], w: number[][][][], s: number, p: number): number[][][] {
  const h = x.length;
  const wd = x[0]!.length;
  const k = w.length;
  const co = w[0]![0]![0]!.length;
  const oh = Math.floor((h + 2 * p - k) / s) + 1;
  const ow = Math.floor((wd + 2 * p - k) / s) + 1;
  const out = Array.from({ length: oh }, () => Array.from({ length: ow }, () => new Array<number>(co).fill(0)));
  for (let oy = 0; oy < oh; oy++)
    for (let ox = 0; ox < ow; ox++)
      for (let ky = 0; ky < k; ky++)
        for (let kx = 0; kx < k; kx++) {
          const iy = oy * s - p + ky;
          const ix = ox * s - p + kx;
          if (iy < 0 || ix < 0 || iy >= h || ix >= wd) continue;
          for (let c = 0; c < co; c++)
            for (let ci = 0; ci < x[iy]![ix]!.length; ci++) out[oy]![ox]![c]! += x[iy]![ix]![ci]! * w[ky]![kx]![ci]![c]!;
        }
  return out;
}

function expectClose(a: number[][][], b: number[][][], tol = 1e-4): void {
  expect(a.length).toBe(b.length);
  const fa = a.flat(2);
  const fb = b.flat(2);
  expect(fa.length).toBe(fb.length);
  fa.forEach((v, i) => expect(Math.abs(v - (fb[i] as number))).toBeLessThan(tol));
}

/**
 * Sets layer `name`'s kernel to `wv`, runs `xv` [1,H,W,C] through the model and expects `shape` and the values of
 * the PyTorch formula `reference` at stride 2, padding 1; then disposes the tensors and the model.
 */
function expectLikeTorch(model: tf.LayersModel, name: string, wv: tf.Tensor, xv: tf.Tensor, shape: number[], reference: typeof torchConv): void {
  model.getLayer(name).setWeights([wv]);
  const y = model.predict(xv) as tf.Tensor;
  expect(y.shape).toEqual(shape);
  const ref = reference((xv.arraySync() as number[][][][])[0]!, wv.arraySync() as number[][][][], 2, 1);
  expectClose((y.arraySync() as number[][][][])[0]!, ref);
  tf.dispose([y, xv, wv]);
  model.dispose();
}

describeEachBackend('components/conv', () => {
  it('convTranspose2dX2 doubles the size and equals PyTorch ConvTranspose2d(k=4, s=2, p=1)', () => {
    // Given a 3x5 input with 2 channels and a hand-set 4x4 kernel to 3 channels
    const before = tf.memory().numTensors;
    const inp = tf.input({ shape: [3, 5, 2] });
    const model = tf.model({ inputs: inp, outputs: convTranspose2dX2(inp, { name: 't', filters: 3, seed: 1 }) });
    const wv = tf.tidy(() => tf.range(0, 4 * 4 * 3 * 2).div(17).sin().reshape([4, 4, 3, 2]));
    const xv = tf.tidy(() => tf.range(0, 3 * 5 * 2).mul(0.37).cos().reshape([1, 3, 5, 2]));
    // When it runs, then the output is exactly 2x and matches the PyTorch formula with padding 1 on both sides
    expectLikeTorch(model, 't', wv, xv, [1, 6, 10, 3], torchConvTranspose);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('strided conv2d pads like PyTorch (1 on each side for k=3), not like TF same (bottom/right only)', () => {
    const before = tf.memory().numTensors;
    const inp = tf.input({ shape: [6, 6, 1] });
    const model = tf.model({ inputs: inp, outputs: conv2d(inp, { name: 'c', filters: 2, kernel: 3, stride: 2, seed: 1 }) });
    const wv = tf.tidy(() => tf.range(0, 9 * 2).div(5).sin().reshape([3, 3, 1, 2]));
    const xv = tf.tidy(() => tf.range(0, 36).mul(0.1).reshape([1, 6, 6, 1]));
    expectLikeTorch(model, 'c', wv, xv, [1, 3, 3, 2], torchConv);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('upsampleBilinear uses TF legacy sampling out[i] = in[i/2] (documented quarter-pixel offset vs PyTorch)', () => {
    const inp = tf.input({ shape: [1, 3, 1] });
    const model = tf.model({ inputs: inp, outputs: upsampleBilinear(inp, 2, 'up') });
    const y = tf.tidy(() => (model.predict(tf.tensor4d([0, 1, 4], [1, 1, 3, 1])) as tf.Tensor).reshape([-1]));
    // Both output rows equal the input row; columns: in[0], (in[0]+in[1])/2, in[1], (in[1]+in[2])/2, in[2], in[2] (clamped).
    expect(Array.from(y.dataSync())).toEqual([0, 0.5, 1, 2.5, 4, 4, 0, 0.5, 1, 2.5, 4, 4]);
    y.dispose();
    model.dispose();
  });
});
