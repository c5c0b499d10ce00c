import * as tf from '@tensorflow/tfjs';
import { sradPreset } from '../../../src/pipeline/submodels/srad/model/config.js';
import { gaussianWindow } from '../../../src/pipeline/submodels/srad/model/filters.js';
import { focalLoss, l2Loss, sradLoss, ssimLoss } from '../../../src/pipeline/submodels/srad/model/loss.js';
import { ssimMap } from '../../../src/pipeline/submodels/srad/model/ssim.js';
import { describeEachBackend } from '../../helpers/backends.js';

const C1 = 0.01 ** 2;
const C2 = 0.03 ** 2;

/** Direct loops: Gaussian window over a zero border, per channel (pytorch-ssim / DRAEM). x,y: [H][W][C]. */
function naiveSsimMean(x: number[][][], y: number[][][], win: number): number {
  const g = gaussianWindow(win);
  const r = (win - 1) / 2;
  const h = x.length;
  const w = x[0]!.length;
  const c = x[0]![0]!.length;
  let total = 0;
  for (let i = 0; i < h; i++)
    for (let j = 0; j < w; j++)
      for (let k = 0; k < c; k++) {
        let mx = 0, my = 0, xx = 0, yy = 0, xy = 0;
        for (let a = -r; a <= r; a++)
          for (let b = -r; b <= r; b++) {
            const ii = i + a;
            const jj = j + b;
            if (ii < 0 || jj < 0 || ii >= h || jj >= w) continue;
            const wt = g[a + r]! * g[b + r]!;
            const u = x[ii]![jj]![k]!;
            const v = y[ii]![jj]![k]!;
            mx += wt * u; my += wt * v; xx += wt * u * u; yy += wt * v * v; xy += wt * u * v;
          }
        const sx = xx - mx * mx;
        const sy = yy - my * my;
        const sxy = xy - mx * my;
        total += ((2 * mx * my + C1) * (2 * sxy + C2)) / ((mx * mx + my * my + C1) * (sx + sy + C2));
      }
  return total / (h * w * c);
}

describeEachBackend('srad/loss', () => {
  it('l2Loss is the mean squared difference', () => {
    const before = tf.memory().numTensors;
    const a = tf.tensor4d([0, 0.5, 1, 0.25], [1, 1, 2, 2]);
    const b = tf.tensor4d([1, 0.5, 0, 0.75], [1, 1, 2, 2]);
    const l = l2Loss(a, b);
    // (1 + 0 + 1 + 0.25) / 4
    expect(l.dataSync()[0]).toBeCloseTo(0.5625, 6);
    tf.dispose([a, b, l]);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('SSIM of a 1x1 image equals the closed form with the centre weight g0 of the 11x11 window', () => {
    const x = tf.tensor4d([0.8], [1, 1, 1, 1]);
    const y = tf.tensor4d([0.3], [1, 1, 1, 1]);
    const m = ssimMap(x, y, 11);
    // Only the centre tap sees the image: mu = g0 v, E[v^2] = g0 v^2.
    const g0 = gaussianWindow(11)[5]! ** 2;
    const [a, b] = [0.8, 0.3];
    const mx = g0 * a, my = g0 * b;
    const sx = g0 * a * a - mx * mx, sy = g0 * b * b - my * my, sxy = g0 * a * b - mx * my;
    const want = ((2 * mx * my + C1) * (2 * sxy + C2)) / ((mx * mx + my * my + C1) * (sx + sy + C2));
    expect(m.dataSync()[0]).toBeCloseTo(want, 5);
    tf.dispose([x, y, m]);
  });

  it('ssimLoss matches direct loops on 6x5x3 images (window 3 and 11) and is 0 for identical images', () => {
    const x = tf.tidy(() => tf.range(0, 90).mul(0.73).sin().abs().reshape([1, 6, 5, 3])) as tf.Tensor4D;
    const y = tf.tidy(() => tf.range(0, 90).mul(0.41).cos().abs().reshape([1, 6, 5, 3])) as tf.Tensor4D;
    const xa = (x.arraySync() as number[][][][])[0]!;
    const ya = (y.arraySync() as number[][][][])[0]!;
    for (const win of [3, 11]) {
      const l = ssimLoss(x, y, win);
      expect(l.dataSync()[0]).toBeCloseTo(1 - naiveSsimMean(xa, ya, win), 4);
      l.dispose();
    }
    const same = ssimLoss(x, x, 11);
    expect(Math.abs(same.dataSync()[0]!)).toBeLessThan(1e-5);
    tf.dispose([x, y, same]);
  });

  it('focalLoss equals the hand-computed values for softmax (2 ch) and sigmoid (1 ch) masks', () => {
    const before = tf.memory().numTensors;
    // Pixel A: anomaly p = 0.8, target 1; pixel B: p = 0.3, target 0.
    const soft = tf.tensor4d([0.2, 0.8, 0.7, 0.3], [1, 1, 2, 2]);
    const sig = tf.tensor4d([0.8, 0.3], [1, 1, 2, 1]);
    const yTrue = tf.tensor4d([1, 0], [1, 1, 2, 1]);
    const pos = 0.2 ** 2 * Math.log(0.8);
    const neg = 0.3 ** 2 * Math.log(0.7);
    const values = [
      focalLoss(soft, yTrue, -1, 2),
      focalLoss(sig, yTrue, -1, 2),
      focalLoss(soft, yTrue, 0.25, 2),
      focalLoss(soft, yTrue, -1, 0),
    ];
    const got = values.map((v) => v.dataSync()[0]!);
    expect(got[0]).toBeCloseTo(-(pos + neg) / 2, 6);
    expect(got[1]).toBeCloseTo(-(pos + neg) / 2, 6);
    expect(got[2]).toBeCloseTo(-(0.25 * pos + 0.75 * neg) / 2, 6);
    // gamma 0 is plain binary cross-entropy.
    expect(got[3]).toBeCloseTo(-(Math.log(0.8) + Math.log(0.7)) / 2, 6);
    tf.dispose([soft, sig, yTrue, ...values]);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('sradLoss = lambdaRec * (L2 + SSIM loss) + lambdaSeg * focal', () => {
    const before = tf.memory().numTensors;
    const cfg = sradPreset('tiny', { loss: { lambdaRec: 2, lambdaSeg: 0.5, ssimWindow: 3 } });
    const t = tf.tidy(() => ({
      clean: tf.randomUniform([1, 8, 8, 3], 0, 1, 'float32', 1) as tf.Tensor4D,
      recon: tf.randomUniform([1, 8, 8, 3], 0, 1, 'float32', 2) as tf.Tensor4D,
      maskTrue: tf.randomUniform([1, 8, 8, 1], 0, 1, 'float32', 3).round(),
      maskPred: tf.randomUniform([1, 8, 8, 2], 0, 1, 'float32', 4).softmax() as tf.Tensor4D,
    }));
    const terms = sradLoss(cfg, t);
    const [total, rec, ssim, focal] = [terms.total, terms.rec, terms.ssim, terms.focal].map((s) => s.dataSync()[0]!);
    expect(total).toBeCloseTo(2 * (rec! + ssim!) + 0.5 * focal!, 5);
    expect(rec).toBeGreaterThan(0);
    expect(ssim).toBeGreaterThan(0);
    expect(focal).toBeGreaterThan(0);
    tf.dispose([t, terms]);
    expect(tf.memory().numTensors).toBe(before);
  });
});
