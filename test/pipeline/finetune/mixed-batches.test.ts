import { join } from 'node:path';
import { selectFinetuneData, type FinetuneData } from '../../../src/pipeline/finetune/finetune-data.js';
import { finetuneStepsPerEpoch, mixedEpochBatches, planMixedEpoch, type MixedBatchOptions } from '../../../src/pipeline/finetune/mixed-batches.js';
import { loadDataset } from '../../../src/pipeline/io/dataset.js';
import { isUnsupported } from '../../../src/pipeline/submodels/contract.js';
import { findSubmodel } from '../../../src/pipeline/submodels/registry.js';

/** The kind's batch split, as the fine-tuner reads it from the registry. */
function compositionOf(kind: string): MixedBatchOptions['composition'] {
  const spec = findSubmodel(kind)?.finetune;
  if (!spec || isUnsupported(spec)) throw new Error(`${kind} does not fine-tune`);
  return spec.composition;
}
import { makeTinyDataset } from '../../helpers/tiny-dataset.js';
import { useTempDir } from '../../helpers/temp-dir.js';

describe('mixed fine-tuning batches', () => {
  const tmp = useTempDir('madenet-finetune-batches-');
  let data: FinetuneData;
  beforeAll(async () => {
    await makeTinyDataset(join(tmp.path, 'data'), { size: 24, normals: 10, testNormals: 1, defects: 1, trainDefects: 6 });
    data = selectFinetuneData(await loadDataset(join(tmp.path, 'data')), 'widget', { valFraction: 0.2, seed: 5 });
  });

  const opts = (over: Partial<MixedBatchOptions> = {}): MixedBatchOptions => ({
    composition: compositionOf('srad'),
    seed: 5,
    epoch: 0,
    size: 16,
    batchSize: 4,
    stepsPerEpoch: finetuneStepsPerEpoch(8, 5, 4),
    realRatio: 0.5,
    ...over,
  });

  it('never puts a held-out normal or defect into a training batch, over many epochs and every kind', () => {
    const held = new Set([...data.plan.normals, ...data.plan.defects].map((s) => s.path));
    expect(held.size).toBe(3);
    const seen = new Set<string>();
    for (const kind of ['srad', 'sfad', 'lpd'] as const) {
      for (let epoch = 0; epoch < 6; epoch++) {
        for (const step of planMixedEpoch(data.trainNormals, data.trainDefects, opts({ composition: compositionOf(kind), epoch, realRatio: 0.75 }))) {
          for (const s of [...step.normals, ...step.defects]) {
            expect(held.has(s.path)).toBe(false);
            seen.add(s.path);
          }
          expect(step.defects.every((s) => s.label === 1)).toBe(true);
          expect(step.normals.every((s) => s.label === 0)).toBe(true);
        }
      }
    }
    // Every training image is used.
    expect(seen.size).toBe(data.trainNormals.length + data.trainDefects.length);
  });

  it('honours --real-ratio: real defects fill that share of the defect slots of the epoch', () => {
    for (const ratio of [0, 0.25, 0.5, 1]) {
      const steps = planMixedEpoch(data.trainNormals, data.trainDefects, opts({ stepsPerEpoch: 20, realRatio: ratio }));
      const real = steps.reduce((n, s) => n + s.defects.length, 0);
      const synthetic = steps.reduce((n, s) => n + s.composition.synthetic, 0);
      expect(real).toBe(Math.round(ratio * 40));
      expect(real + synthetic).toBe(40);
      for (const s of steps) {
        expect(s.defects).toHaveLength(s.composition.real);
        expect(s.normals).toHaveLength(s.composition.normals);
        expect(s.seeds).toHaveLength(s.normals.length);
      }
    }
  });

  it('makes the same batches for the same (seed, epoch) and others for another epoch', () => {
    const a = planMixedEpoch(data.trainNormals, data.trainDefects, opts({ epoch: 2 }));
    const b = planMixedEpoch(data.trainNormals, data.trainDefects, opts({ epoch: 2 }));
    const c = planMixedEpoch(data.trainNormals, data.trainDefects, opts({ epoch: 3 }));
    expect(b).toEqual(a);
    expect(c.map((s) => s.normals.map((n) => n.path))).not.toEqual(a.map((s) => s.normals.map((n) => n.path)));
    expect(a[0]?.step).toBe(2 * opts().stepsPerEpoch);
  });

  it('decodes images and real masks at the training size', async () => {
    const batches = [];
    for await (const b of mixedEpochBatches(data.trainNormals, data.trainDefects, opts({ realRatio: 1 }))) batches.push(b);
    expect(batches).toHaveLength(opts().stepsPerEpoch);
    const first = batches[0]!;
    expect(first.defects).toHaveLength(2);
    for (const d of first.defects) {
      expect([d.image.width, d.image.height, d.mask.width, d.mask.height]).toEqual([16, 16, 16, 16]);
      const area = d.mask.data.reduce((n, v) => n + v, 0);
      expect(area).toBeGreaterThan(0);
      expect(d.mask.data.every((v) => v === 0 || v === 1)).toBe(true);
    }
    expect(first.normals.map((n) => n.image.data.length)).toEqual([16 * 16 * 3, 16 * 16 * 3]);
  });
});
