import * as tf from '@tensorflow/tfjs';
import { lpdPreset } from '../../../src/pipeline/submodels/lpd/model/config.js';
import { lpdGdeFit } from '../../../src/pipeline/submodels/lpd/model/gde.js';
import { buildLpd, disposeLpd, lpdEmbeddings, lpdTrainableVariables } from '../../../src/pipeline/submodels/lpd/model/model.js';
import { lpdCellWeights, lpdFinetuneBatch } from '../../../src/pipeline/submodels/lpd/finetune/lpd-finetune-batch.js';
import { lpdFinetuneStep, lpdJointModel } from '../../../src/pipeline/submodels/lpd/finetune/lpd-finetune-step.js';
import type { MixedRawBatch } from '../../../src/pipeline/finetune/mixed-batches.js';
import type { Sample } from '../../../src/pipeline/io/dataset.js';
import { createMask, type RgbImage } from '../../../src/pipeline/io/image.js';
import { Rng } from '../../../src/pipeline/core/random.js';
import { LpdSgd } from '../../../src/pipeline/submodels/lpd/train/lpd-sgd.js';
import { initRuntime } from '../../../src/pipeline/runtime/backend.js';

const S = 32;
const sample = (path: string, label: 0 | 1): Sample => ({ path, category: 'widget', split: 'train', label, defectType: label ? 'scratch' : 'good', maskPath: label ? `${path}_mask` : null });

function image(seed: number): RgbImage {
  const rng = new Rng(seed);
  return { width: S, height: S, data: Float32Array.from({ length: S * S * 3 }, () => 0.3 + 0.4 * rng.next()) };
}

/** Two normals (the first also gets a CutPaste copy) and one real defect whose mask fills the top-left quarter. */
function rawBatch(): MixedRawBatch {
  const mask = createMask(S, S);
  for (let y = 0; y < S / 2; y++) for (let x = 0; x < S / 2; x++) mask.data[y * S + x] = 1;
  return {
    step: 0,
    composition: { real: 1, synthetic: 1, clean: 2, normals: 2 },
    normals: [
      { sample: sample('/n0.png', 0), image: image(1) },
      { sample: sample('/n1.png', 0), image: image(2) },
    ],
    defects: [{ sample: sample('/d0.png', 1), image: image(3), mask }],
    seeds: [11, 12],
    defectSeeds: [13],
  };
}

describe('LPD fine-tuning batch and step (tiny, 32 px, wasm)', () => {
  beforeAll(async () => {
    await initRuntime({ backend: 'wasm', threads: 1 });
  });

  it('labels normals 0 and CutPaste copies and real defects 1, in that order', () => {
    const before = tf.memory().numTensors;
    const b = lpdFinetuneBatch(rawBatch(), { variant: 'normal', gate: false, jitter: 0 });
    expect(b.images.shape).toEqual([4, S, S, 3]);
    expect(Array.from(b.labels.dataSync())).toEqual([0, 0, 1, 1]);
    // No jitter: the real defect is passed through unchanged, as the last row.
    expect(tf.tidy(() => Array.from(b.images.slice([3, 0, 0, 0], [1, 1, 1, 3]).dataSync()))).toEqual(Array.from(image(3).data.subarray(0, 3)));
    tf.dispose([b.images, b.labels]);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('weights cells: normal rows positive, CutPaste rows neither, the real row by its mask', () => {
    const w = lpdCellWeights(rawBatch(), 4);
    const row = (a: Float32Array, r: number): number[] => Array.from(a.subarray(r * 16, (r + 1) * 16));
    expect(row(w.pos, 0)).toEqual(new Array(16).fill(1));
    expect(row(w.pos, 1)).toEqual(new Array(16).fill(1));
    expect(row(w.pos, 2)).toEqual(new Array(16).fill(0));
    expect(row(w.neg, 2)).toEqual(new Array(16).fill(0));
    const quarter = [0, 1, 4, 5];
    expect(row(w.neg, 3).flatMap((v, i) => (v ? [i] : []))).toEqual(quarter);
    expect(row(w.pos, 3).flatMap((v, i) => (v ? [] : [i]))).toEqual(quarter);
  });

  it('takes a finite step with a localisation term, keeps batch-norm statistics frozen and leaks nothing', async () => {
    const cfg = lpdPreset('tiny', { imageSize: S });
    const lpd = buildLpd(cfg, { seed: 1 });
    const normals = tf.tensor4d(Float32Array.from([...image(1).data, ...image(2).data, ...image(4).data]), [3, S, S, 3]);
    const gde = await lpdGdeFit([tf.tidy(() => lpdEmbeddings(lpd.extractor, normals, cfg))], { shrinkage: cfg.gdeShrinkage, epsilon: cfg.gdeEpsilon });
    normals.dispose();
    const joint = lpdJointModel(lpd, cfg);
    const opt = new LpdSgd(0.01, cfg.momentum);
    const vars = lpdTrainableVariables(lpd);
    const raw = rawBatch();
    const side = S / 4; // the tiny preset localises with layer1 (stride 4) + layer2
    const bnMean = (): number[] => Array.from(lpd.backbone.getLayer('bn1').getWeights()[2]!.dataSync());
    const conv = (): number[] => Array.from(lpd.backbone.getLayer('conv1').getWeights()[0]!.dataSync().slice(0, 8));
    const mean0 = bnMean();
    const conv0 = conv();
    const run = async () => {
      const b = lpdFinetuneBatch(raw, { variant: 'normal', gate: false, jitter: 0 });
      const w = lpdCellWeights(raw, side);
      const pos = tf.tensor1d(w.pos);
      const neg = tf.tensor1d(w.neg);
      try {
        return await lpdFinetuneStep(joint, opt, vars, cfg, { ...b, pos, neg }, gde, 1);
      } finally {
        tf.dispose([b.images, b.labels, pos, neg]);
      }
    };
    const first = await run();
    const after = tf.memory().numTensors; // momentum slots now exist
    const second = await run();
    expect(tf.memory().numTensors).toBe(after);
    for (const r of [first, second]) for (const v of Object.values(r)) expect(Number.isFinite(v)).toBe(true);
    expect(first.locTerm).toBeGreaterThan(0);
    expect(first.loss).toBeGreaterThan(first.patchedTerm + first.normalTerm);
    expect(bnMean()).toEqual(mean0);
    expect(conv()).not.toEqual(conv0);
    // Without a GDE (or real defects) the step is the head's BCE alone.
    const b = lpdFinetuneBatch(raw, { variant: 'normal', gate: false, jitter: 0 });
    const flat = { pos: tf.ones([4 * side * side]) as tf.Tensor1D, neg: tf.zeros([4 * side * side]) as tf.Tensor1D };
    const noLoc = await lpdFinetuneStep(joint, opt, vars, cfg, { ...b, ...flat }, null, 1);
    tf.dispose([b.images, b.labels, flat.pos, flat.neg]);
    expect(noLoc.locTerm).toBe(0);
    expect(noLoc.loss).toBeCloseTo(noLoc.patchedTerm + noLoc.normalTerm, 5);
    expect(tf.memory().numTensors).toBe(after);
    opt.dispose();
    disposeLpd(lpd);
  });
});
