import * as tf from '@tensorflow/tfjs';
import { sradPreset } from '../../../src/pipeline/submodels/srad/model/config.js';
import { sradLoss } from '../../../src/pipeline/submodels/srad/model/loss.js';
import type { MixedRawBatch } from '../../../src/pipeline/finetune/mixed-batches.js';
import { sradFinetuneBatch } from '../../../src/pipeline/submodels/srad/finetune/srad-finetune-batch.js';
import { sradFinetuneLoss } from '../../../src/pipeline/submodels/srad/finetune/srad-finetune-step.js';
import type { Sample } from '../../../src/pipeline/io/dataset.js';
import { createImage, createMask } from '../../../src/pipeline/io/image.js';
import { TextureBank } from '../../../src/pipeline/synth/texture-bank.js';
import { ForegroundCache } from '../../../src/pipeline/submodels/srad/train/srad-batches.js';
import { describeEachBackend } from '../../helpers/backends.js';

const cfg = sradPreset('tiny', { seed: 1 });

function inputs(): { clean: tf.Tensor4D; recon: tf.Tensor4D; maskTrue: tf.Tensor4D; maskPred: tf.Tensor4D } {
  const clean = tf.randomUniform([2, 16, 16, 3], 0, 1, 'float32', 1) as tf.Tensor4D;
  const recon = tf.randomUniform([2, 16, 16, 3], 0, 1, 'float32', 2) as tf.Tensor4D;
  const maskTrue = tf.randomUniform([2, 16, 16, 1], 0, 1, 'float32', 3).greater(0.8).toFloat() as tf.Tensor4D;
  const maskPred = tf.softmax(tf.randomNormal([2, 16, 16, 2], 0, 1, 'float32', 4)) as tf.Tensor4D;
  return { clean, recon, maskTrue, maskPred };
}

const sample = (path: string, label: 0 | 1): Sample => ({ path, category: 'widget', split: 'train', label, defectType: label ? 'scratch' : 'good', maskPath: label ? `${path}_mask` : null });

describeEachBackend('SRAD fine-tuning loss and batch', () => {
  it('is sradLoss when every reconstruction weight is 1', () => {
    const before = tf.memory().numTensors;
    const [ours, reference] = tf.tidy(() => {
      const t = inputs();
      const a = sradFinetuneLoss(cfg, { ...t, recWeight: tf.onesLike(t.maskTrue) });
      const b = sradLoss(cfg, t);
      return [[a.total, a.rec, a.ssim, a.focal].map((x) => x.dataSync()[0] as number), [b.total, b.rec, b.ssim, b.focal].map((x) => x.dataSync()[0] as number)];
    });
    ours.forEach((v, i) => expect(v).toBeCloseTo(reference[i] as number, 5));
    expect(tf.memory().numTensors).toBe(before);
  });

  it('ignores the reconstruction wherever the weight is 0 (a real defect has no clean twin)', () => {
    const before = tf.memory().numTensors;
    const [a, b] = tf.tidy(() => {
      const t = inputs();
      // Weight 0 on the top half of image 0; the reconstruction differs only there between the two runs.
      const w = tf.tensor4d(Float32Array.from({ length: 2 * 256 }, (_, i) => (i < 128 ? 0 : 1)), [2, 16, 16, 1]);
      const cut = tf.tensor4d(Float32Array.from({ length: 2 * 256 * 3 }, (_, i) => (i < 128 * 3 ? 1 : 0)), [2, 16, 16, 3]);
      const other = t.recon.mul(tf.scalar(1).sub(cut)).add(cut.mul(0.5)) as tf.Tensor4D;
      const x = sradFinetuneLoss(cfg, { ...t, recWeight: w });
      // L2 and focal are compared; SSIM's window reaches across the border row of the weighted region.
      const y = sradFinetuneLoss(cfg, { ...t, recon: other, recWeight: w });
      return [[x.rec, x.focal].map((s) => s.dataSync()[0] as number), [y.rec, y.focal].map((s) => s.dataSync()[0] as number)];
    });
    expect(a[0]).toBeCloseTo(b[0] as number, 6);
    expect(a[1]).toBeCloseTo(b[1] as number, 6);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('stacks synthetic, clean and real rows with the real mask as target and no reconstruction near it', () => {
    const before = tf.memory().numTensors;
    const s = 24;
    const normal = createImage(s, s, 0.4);
    for (let i = 0; i < normal.data.length; i++) normal.data[i] = 0.3 + 0.4 * ((i * 7919) % 13) / 13;
    const defect = createImage(s, s, 0.4);
    const mask = createMask(s, s);
    for (let y = 10; y < 13; y++) for (let x = 10; x < 13; x++) mask.data[y * s + x] = 1;
    const raw: MixedRawBatch = {
      step: 0,
      composition: { real: 1, synthetic: 1, clean: 1, normals: 2 },
      normals: [
        { sample: sample('/n0.png', 0), image: normal },
        { sample: sample('/n1.png', 0), image: normal },
      ],
      defects: [{ sample: sample('/d0.png', 1), image: defect, mask }],
      seeds: [5, 6],
      defectSeeds: [7],
    };
    const batch = sradFinetuneBatch(raw, { textures: TextureBank.procedural(s, 0, 3), foreground: 'none', ssimWindow: 5 }, new ForegroundCache());
    const [w, m, img, clean] = [batch.recWeight, batch.mask, batch.image, batch.clean].map((t) => t.dataSync() as Float32Array) as Float32Array[];
    const plane = s * s;
    // Synthetic row: a defect in the mask and the image, reconstruction weighted everywhere.
    expect(m!.subarray(0, plane).some((v) => v === 1)).toBe(true);
    expect(w!.subarray(0, 2 * plane).every((v) => v === 1)).toBe(true);
    // Clean row: empty mask, image = target.
    expect(m!.subarray(plane, 2 * plane).every((v) => v === 0)).toBe(true);
    // Real row: its own mask; weight 0 on the defect and 2 px around it (window 5), 1 further away.
    expect(Array.from(m!.subarray(2 * plane))).toEqual(Array.from(mask.data));
    const wr = w!.subarray(2 * plane);
    expect(wr[11 * s + 11]).toBe(0);
    expect(wr[8 * s + 8]).toBe(0);
    expect(wr[7 * s + 7]).toBe(1);
    expect(wr[0]).toBe(1);
    expect(Array.from(clean!.subarray(2 * plane * 3))).toEqual(Array.from(img!.subarray(2 * plane * 3)));
    tf.dispose([batch.image, batch.clean, batch.mask, batch.recWeight]);
    expect(tf.memory().numTensors).toBe(before);
  });
});
