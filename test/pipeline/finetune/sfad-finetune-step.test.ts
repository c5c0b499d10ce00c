import * as tf from '@tensorflow/tfjs';
import { buildSfadAdaptor, buildSfadDiscriminator, sfadNoise, sfadTrainingLoss } from '../../../src/pipeline/submodels/sfad/model/model.js';
import { sfadFinetuneLoss, sfadLocationWeights } from '../../../src/pipeline/submodels/sfad/finetune/sfad-finetune-step.js';
import { createMask } from '../../../src/pipeline/io/image.js';
import { describeEachBackend } from '../../helpers/backends.js';
import { expectNoLeak } from '../../helpers/tensor-leaks.js';

describe('sfadLocationWeights', () => {
  it('marks normal images positive, full defect cells negative and leaves thin edges out', () => {
    // Given: 16 px masks on a 4 x 4 grid (cells of 4 x 4 pixels).
    const big = createMask(16, 16);
    for (let y = 0; y < 4; y++) for (let x = 0; x < 4; x++) big.data[y * 16 + x] = 1; // cell (0,0) full
    big.data[5 * 16 + 5] = 1; // 1/16 of cell (1,1): too little next to a full cell
    big.data[9 * 16 + 9] = 1;
    big.data[9 * 16 + 10] = 1;
    big.data[10 * 16 + 9] = 1;
    big.data[10 * 16 + 10] = 1; // 4/16 = 0.25 of cell (2,2): counts
    const speck = createMask(16, 16);
    speck.data[15 * 16 + 15] = 1; // the only defect pixel: its cell (3,3) is the image's largest share
    // When
    const w = sfadLocationWeights([null, big, speck], 4);
    // Then
    expect(Array.from(w.pos.subarray(0, 16))).toEqual(new Array(16).fill(1));
    expect(Array.from(w.neg.subarray(0, 16))).toEqual(new Array(16).fill(0));
    const negBig = Array.from(w.neg.subarray(16, 32));
    const posBig = Array.from(w.pos.subarray(16, 32));
    expect(negBig.flatMap((v, i) => (v ? [i] : []))).toEqual([0, 10]);
    expect(posBig.flatMap((v, i) => (v ? [] : [i]))).toEqual([0, 5, 10]);
    expect(Array.from(w.neg.subarray(32, 48)).flatMap((v, i) => (v ? [i] : []))).toEqual([15]);
    expect(w.pos[32 + 15]).toBe(0);
  });
});

type SfadHeads = { adaptor: ReturnType<typeof buildSfadAdaptor>; discriminator: ReturnType<typeof buildSfadDiscriminator> };

/** Runs `fn` on a seeded adaptor and discriminator (`dim` features, `hidden` units), disposes them, and expects no tensor left. */
function withSfadHeads(dim: number, hidden: number, seed: number, fn: (model: SfadHeads) => void): void {
  expectNoLeak(() => {
    const model = { adaptor: buildSfadAdaptor(dim, seed), discriminator: buildSfadDiscriminator(dim, hidden, seed) };
    try {
      fn(model);
    } finally {
      model.adaptor.dispose();
      model.discriminator.dispose();
    }
  });
}

describeEachBackend('sfadFinetuneLoss', () => {
  it('equals SimpleNet\'s loss when every location is positive and none is a real defect', () => withSfadHeads(8, 6, 3, (model) => {
    const cfg = { noiseStd: 0.2, margin: 0.5 };
    const [ours, simple, real] = tf.tidy(() => {
      const f = tf.randomNormal([2, 3, 3, 8], 0, 1, 'float32', 9) as tf.Tensor4D;
      const ones = tf.ones([18]) as tf.Tensor1D;
      const t = sfadFinetuneLoss(model, f, { pos: ones, neg: tf.zeros([18]) as tf.Tensor1D }, cfg, 17);
      const s = sfadTrainingLoss(model, f, cfg, 17);
      return [t.total.dataSync()[0], s.total.dataSync()[0], t.realLoss.dataSync()[0]];
    });
    expect(ours).toBeCloseTo(simple as number, 5);
    expect(real).toBe(0);
  }));

  it('averages each term over its own locations: positives for true and noise, real defects for the real term', () => withSfadHeads(4, 4, 5, (model) => {
    const { adaptor, discriminator } = model;
    const cfg = { noiseStd: 0.1, margin: 0.5 };
    const pos = [1, 1, 0, 0, 1, 1, 1, 0];
    const neg = [0, 0, 1, 1, 0, 0, 0, 0];
    const [terms, d, dFake] = tf.tidy(() => {
      const f = tf.randomNormal([2, 2, 2, 4], 0, 1, 'float32', 4) as tf.Tensor4D;
      const t = sfadFinetuneLoss(model, f, { pos: tf.tensor1d(pos), neg: tf.tensor1d(neg) }, cfg, 3);
      // The same forward pass by hand: D on [q; q + noise] in training mode (batch statistics).
      const q = adaptor.apply(f.reshape([8, 4]), { training: true }) as tf.Tensor2D;
      const scores = discriminator.apply(tf.concat([q, q.add(sfadNoise([8, 4], 0.1, 3))], 0), { training: true }) as tf.Tensor2D;
      const all = Array.from(scores.dataSync());
      return [[t.trueLoss, t.fakeLoss, t.realLoss, t.total].map((x) => x.dataSync()[0] as number), all.slice(0, 8), all.slice(8)];
    });
    const relu = (v: number): number => Math.max(0, v);
    const wmean = (values: number[], w: number[]): number => values.reduce((a, v, i) => a + v * (w[i] as number), 0) / w.reduce((a, v) => a + v, 0);
    const trueLoss = wmean(d.map((v) => relu(0.5 - v)), pos);
    const fakeLoss = wmean(dFake.map((v) => relu(0.5 + v)), pos);
    const realLoss = wmean(d.map((v) => relu(0.5 + v)), neg);
    expect(terms[0]).toBeCloseTo(trueLoss, 5);
    expect(terms[1]).toBeCloseTo(fakeLoss, 5);
    expect(terms[2]).toBeCloseTo(realLoss, 5);
    expect(terms[3]).toBeCloseTo(trueLoss + fakeLoss + realLoss, 5);
    expect(realLoss).toBeGreaterThan(0);
  }));
});
