import { join } from 'node:path';
import { selectFinetuneData } from '../../../src/pipeline/finetune/finetune-data.js';
import { loadDataset, type Dataset } from '../../../src/pipeline/io/dataset.js';
import { planValidation } from '../../../src/pipeline/perfmap/validation-set.js';
import { holdOut } from '../../../src/pipeline/train/data.js';
import { makeTinyDataset } from '../../helpers/tiny-dataset.js';
import { useTempDir } from '../../helpers/temp-dir.js';

async function failure(f: () => unknown): Promise<{ code?: string; message: string; suggestions?: string[] }> {
  try {
    await f();
  } catch (err) {
    return err as { code?: string; message: string; suggestions?: string[] };
  }
  throw new Error('expected a failure');
}

const paths = (s: { path: string }[]): string[] => s.map((x) => x.path);

describe('selectFinetuneData', () => {
  const tmp = useTempDir('madenet-finetune-data-');
  let ds: Dataset;
  beforeAll(async () => {
    // 10 normals and 2 x 5 train defects (two defect types), all with masks.
    await makeTinyDataset(join(tmp.path, 'data'), { size: 16, normals: 10, testNormals: 1, defects: 1, defectTypes: ['scratch', 'stain'], trainDefects: 5 });
    await makeTinyDataset(join(tmp.path, 'plain'), { size: 16, normals: 4, testNormals: 1, defects: 1 });
    ds = await loadDataset(join(tmp.path, 'data'));
  });

  it('holds out normals and defects with the trainers\' holdOut and never trains on the held-out ones', () => {
    const d = selectFinetuneData(ds, 'widget', { valFraction: 0.2, seed: 7 });
    const normals = ds.samples.filter((s) => s.split === 'train' && s.label === 0);
    const defects = ds.samples.filter((s) => s.split === 'train' && s.label === 1);
    expect(d.plan.source).toBe('train-defects');
    expect(d.plan.synthetic).toEqual([]);
    expect(paths(d.plan.normals)).toEqual(paths(holdOut(normals, 0.2, 7).validation));
    expect(paths(d.plan.defects)).toEqual(paths(holdOut(defects, 0.2, 7).validation));
    expect(d.plan.normals).toHaveLength(2);
    expect(d.plan.defects).toHaveLength(2);
    expect(d.trainNormals).toHaveLength(8);
    expect(d.trainDefects).toHaveLength(8);
    const held = new Set([...paths(d.plan.normals), ...paths(d.plan.defects)]);
    expect([...d.trainNormals, ...d.trainDefects].filter((s) => held.has(s.path))).toEqual([]);
    expect(d.trainDefects.every((s) => s.label === 1 && s.split === 'train' && s.maskPath !== null)).toBe(true);
    expect(d.trainNormals.every((s) => s.label === 0 && s.split === 'train')).toBe(true);
  });

  it('validates on the normals the trainers and build-perfmap hold out (so the parent never trained on them)', () => {
    const d = selectFinetuneData(ds, 'widget', { valFraction: 0.3, seed: 11 });
    const p = planValidation(ds, 'widget', { valFraction: 0.3, seed: 11 });
    expect(paths(d.plan.normals)).toEqual(paths(p.normals));
    // build-perfmap validates on exactly the defects the fine-tune held out, never on ones it trained on.
    expect(d.plan.defects.length).toBe(3);
    expect(paths(p.defects)).toEqual(paths(d.plan.defects));
  });

  it('depends on the seed and only on the seed', () => {
    const a = selectFinetuneData(ds, 'widget', { valFraction: 0.2, seed: 1 });
    const b = selectFinetuneData(ds, 'widget', { valFraction: 0.2, seed: 1 });
    const c = selectFinetuneData(ds, 'widget', { valFraction: 0.2, seed: 2 });
    expect(paths(b.plan.defects)).toEqual(paths(a.plan.defects));
    expect(paths(b.trainDefects)).toEqual(paths(a.trainDefects));
    expect([paths(c.plan.defects), paths(c.plan.normals)]).not.toEqual([paths(a.plan.defects), paths(a.plan.normals)]);
  });

  it('leaves defects without masks out of training and says how many', () => {
    const unmasked = { ...ds, samples: ds.samples.map((s) => (s.label === 1 && s.path.endsWith('train_001.png') ? { ...s, maskPath: null } : s)) };
    const d = selectFinetuneData(unmasked, 'widget', { valFraction: 0.2, seed: 7 });
    const trainPart = holdOut(unmasked.samples.filter((s) => s.split === 'train' && s.label === 1), 0.2, 7).train;
    const expected = trainPart.filter((s) => s.path.endsWith('train_001.png')).length;
    expect(expected).toBeGreaterThan(0);
    expect(d.unmasked).toHaveLength(expected);
    expect(d.trainDefects).toHaveLength(8 - expected);
    expect(d.trainDefects.some((s) => s.maskPath === null)).toBe(false);
  });

  it('refuses a category without real train defects with E_NO_DEFECTS and the layout to use', async () => {
    const plain = await loadDataset(join(tmp.path, 'plain'));
    const err = await failure(() => selectFinetuneData(plain, 'widget', { valFraction: 0.2, seed: 1 }));
    expect(err.code).toBe('E_NO_DEFECTS');
    expect(err.message).toContain('widget');
    expect(err.message).toContain('no defective training images');
    expect(err.suggestions?.join(' ')).toContain('ground_truth');

    const maskless = { ...ds, samples: ds.samples.map((s) => (s.label === 1 ? { ...s, maskPath: null } : s)) };
    const m = await failure(() => selectFinetuneData(maskless, 'widget', { valFraction: 0.2, seed: 1 }));
    expect(m.code).toBe('E_NO_DEFECTS');
    expect(m.message).toContain('none with a mask');
  });

  it('refuses a single defect (nothing left to validate with) and a bad fraction', async () => {
    const defects = ds.samples.filter((s) => s.split === 'train' && s.label === 1);
    const one = { ...ds, samples: ds.samples.filter((s) => !(s.label === 1 && s.split === 'train') || s === defects[0]) };
    const err = await failure(() => selectFinetuneData(one, 'widget', { valFraction: 0.2, seed: 1 }));
    expect(err.code).toBe('E_NO_DEFECTS');
    expect(err.message).toContain('holding out 0');
    expect((await failure(() => selectFinetuneData(ds, 'widget', { valFraction: 1, seed: 1 }))).code).toBe('E_USAGE');
  });
});
