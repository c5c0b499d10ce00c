import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { loadDataset, samplesOf, type Sample } from '../../../../src/pipeline/io/dataset.js';
import { Rng } from '../../../../src/pipeline/core/random.js';
import { applyImageJitter, drawImageJitter } from '../../../../src/pipeline/submodels/lpd/train/lpd-augment.js';
import {
  emptyCutPasteStats,
  lpdEpochBatches,
  lpdStepsPerEpoch,
  synthesizeLpdBatch,
  type LpdRawBatch,
  type LpdSynthOptions,
} from '../../../../src/pipeline/submodels/lpd/train/lpd-batches.js';
import { cosineLr } from '../../../../src/pipeline/train/train-cosine.js';
import { makeTinyDataset } from '../../../helpers/tiny-dataset.js';
import { useTempDir } from '../../../helpers/temp-dir.js';
import { useBackend } from '../../../helpers/backends.js';

async function collect(samples: Sample[], epoch: number): Promise<LpdRawBatch[]> {
  const out: LpdRawBatch[] = [];
  for await (const b of lpdEpochBatches(samples, { seed: 9, epoch, size: 32, batchSize: 4, stepsPerEpoch: 3 })) out.push(b);
  return out;
}

/** Share of pixels where two [N,S,S,3] rows differ. */
function changedShare(data: Float32Array, a: number, b: number, plane: number): number {
  let changed = 0;
  for (let p = 0; p < plane / 3; p++) {
    const i = 3 * p;
    if (data[a * plane + i] !== data[b * plane + i] || data[a * plane + i + 1] !== data[b * plane + i + 1] || data[a * plane + i + 2] !== data[b * plane + i + 2]) changed++;
  }
  return changed / (plane / 3);
}

describe('LPD batches', () => {
  const tmp = useTempDir('madenet-lpd-batches-');
  let samples: Sample[];
  useBackend('wasm');
  beforeAll(async () => {
    await makeTinyDataset(join(tmp.path, 'data'), { size: 32, normals: 6, testNormals: 1, defects: 1 });
    samples = samplesOf(await loadDataset(join(tmp.path, 'data')), { split: 'train', label: 0 });
  });

  it('counts steps as B/2 normals each', () => {
    expect(lpdStepsPerEpoch(6, 4)).toBe(3);
    expect(lpdStepsPerEpoch(7, 4)).toBe(3);
    expect(lpdStepsPerEpoch(1, 8)).toBe(1);
  });

  it('balances every batch: B/2 jittered normals (label 0) then their CutPaste copies (label 1)', async () => {
    const raw = await collect(samples, 0);
    expect(raw.map((b) => b.items.length)).toEqual([2, 2, 2]);
    // Each epoch shows every training normal once.
    expect(new Set(raw.flatMap((b) => b.items.map((d) => d.sample.path))).size).toBe(6);
    const opts: LpdSynthOptions = { variant: 'normal', gate: {}, jitter: 0.1 };
    const stats = emptyCutPasteStats();
    const before = tf.memory().numTensors;
    for (const b of raw) {
      const batch = synthesizeLpdBatch(b, opts, stats);
      expect(batch.images.shape).toEqual([4, 32, 32, 3]);
      expect(Array.from(await batch.labels.data())).toEqual([0, 0, 1, 1]);
      const data = (await batch.images.data()) as Float32Array;
      const plane = 32 * 32 * 3;
      for (let i = 0; i < 2; i++) {
        // The copy differs from its own normal inside the pasted rectangle only (5-20% of the image).
        const share = changedShare(data, i, i + 2, plane);
        expect(share).toBeGreaterThan(0.02);
        expect(share).toBeLessThanOrEqual(0.2);
        // The normal itself is augmented too: colour jitter changes (almost) every pixel.
        const original = b.items[i]!.image.data;
        let same = 0;
        for (let k = 0; k < plane; k++) if (data[i * plane + k] === original[k]) same++;
        expect(same / plane).toBeLessThan(0.5);
      }
      tf.dispose([batch.images, batch.labels]);
    }
    expect(tf.memory().numTensors).toBe(before);
    expect(stats.patched).toBe(6);
    expect(stats.rejections).toBeGreaterThanOrEqual(stats.keptUnaccepted);
  });

  it('replays the same batches for the same (seed, epoch) and new ones for the next epoch', async () => {
    const opts: LpdSynthOptions = { variant: 'mixed', gate: false, jitter: 0.1 };
    const read = async (raw: LpdRawBatch[]): Promise<number[]> => {
      const batch = synthesizeLpdBatch(raw[0]!, opts);
      const v = Array.from(await batch.images.data());
      tf.dispose([batch.images, batch.labels]);
      return v;
    };
    const a = await read(await collect(samples, 1));
    const b = await read(await collect(samples, 1));
    const c = await read(await collect(samples, 2));
    expect(b).toEqual(a);
    expect(c).not.toEqual(a);
  });

  it('leaves normals untouched without jitter, and jitters within the drawn strength', () => {
    const img = { width: 4, height: 4, data: new Float32Array(48).map((_, i) => (i % 7) / 7) };
    const none = applyImageJitter(img, { brightness: 1, contrast: 1, saturation: 1, hueDeg: 0 });
    for (let i = 0; i < 48; i++) expect(none.data[i]).toBeCloseTo(img.data[i] as number, 6);
    const j = drawImageJitter(new Rng(1), 0.1);
    expect(j.brightness).toBeGreaterThanOrEqual(0.9);
    expect(j.brightness).toBeLessThan(1.1);
    expect(Math.abs(j.hueDeg)).toBeLessThanOrEqual(36);
    const bright = applyImageJitter(img, { brightness: 1.1, contrast: 1, saturation: 1, hueDeg: 0 });
    expect(bright.data[1]).toBeCloseTo(Math.min(1, (img.data[1] as number) * 1.1), 6);
  });

  it('decays the rate on a cosine from the base to the floor', () => {
    const s = { baseLr: 0.1, totalSteps: 10, minLr: 0.02 };
    expect(cosineLr(s, 0)).toBeCloseTo(0.1, 12);
    expect(cosineLr(s, 5)).toBeCloseTo(0.06, 12);
    expect(cosineLr(s, 10)).toBeCloseTo(0.02, 12);
    expect(cosineLr(s, 99)).toBeCloseTo(0.02, 12);
    expect(cosineLr({ baseLr: 1, totalSteps: 4 }, 2)).toBeCloseTo(0.5, 12);
  });
});
