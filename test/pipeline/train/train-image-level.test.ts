// Image-level datasets (defects labelled, no masks) through training: a submodel trains and validates on the
// held-out train defects by image AUROC alone; fine-tuning, which learns from masks, refuses with a coded error.
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { loadDataset } from '../../../src/pipeline/io/dataset.js';
import { selectFinetuneData } from '../../../src/pipeline/finetune/finetune-data.js';
import { trainSfad } from '../../../src/pipeline/services/train-sfad.js';
import { makeTinyDataset } from '../../helpers/tiny-dataset.js';
import { spoilTestSplit } from '../../helpers/training-run.js';
import { useTempDir } from '../../helpers/temp-dir.js';
import { useBackend } from '../../helpers/backends.js';

describe('training on an image-level dataset (no masks anywhere)', () => {
  const tmp = useTempDir('madenet-image-level-');
  let data: string;
  useBackend('wasm');
  beforeAll(async () => {
    data = join(tmp.path, 'data');
    // Given 7 train normals, 5 train defects and test defects, all without masks,
    await makeTinyDataset(data, { size: 32, normals: 7, testNormals: 2, defects: 2, trainDefects: 5 });
    await rm(join(data, 'widget', 'ground_truth'), { recursive: true });
    await spoilTestSplit(data);
  });

  it('trains SFAD, validating on held-out real defects by image AUROC (Pixel-AP null, objective = AUROC)', async () => {
    const r = await trainSfad({ data, category: 'widget', preset: 'tiny', imageSize: 32, epochs: 1, batchSize: 2, lr: 2e-3, seed: 3, backend: 'wasm', threads: 1, out: join(tmp.path, 'a'), checkpointEvery: 0 });
    expect(r.validation).toEqual({ source: 'train-defects', normals: 1, defects: 1 });
    expect(r.metrics.pixelAp).toBeNull();
    expect(r.metrics.imageAuroc).not.toBeNull();
    expect(r.metrics.objective).toBe(r.metrics.imageAuroc);
  });

  it('refuses to fine-tune with E_NO_DEFECTS, naming the unmasked defects', async () => {
    const ds = await loadDataset(data);
    expect(() => selectFinetuneData(ds, 'widget', { valFraction: 0.2, seed: 1 })).toThrow(
      expect.objectContaining({ code: 'E_NO_DEFECTS', message: expect.stringContaining('5 train defect(s) but none with a mask') }),
    );
  });
});
