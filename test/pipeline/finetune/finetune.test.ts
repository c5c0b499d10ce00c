import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { loadArtifact } from '../../../src/pipeline/artifacts/index.js';
import { finetune, type FinetuneOptions } from '../../../src/pipeline/services/finetune.js';
import { trainLpd } from '../../../src/pipeline/services/train-lpd.js';
import { trainSfad } from '../../../src/pipeline/services/train-sfad.js';
import { trainSrad } from '../../../src/pipeline/services/train-srad.js';
import { makeTinyDataset } from '../../helpers/tiny-dataset.js';
import { expectDetectorPredicts, failure, interruptAndResume, spoilTestSplit } from '../../helpers/training-run.js';
import { useTempDir } from '../../helpers/temp-dir.js';
import { useBackend } from '../../helpers/backends.js';

describe('finetune (tiny presets, 32 px, wasm)', () => {
  const tmp = useTempDir('madenet-finetune-');
  let data: string;
  const parents: Record<string, string> = {};
  useBackend('wasm');
  beforeAll(async () => {
    data = join(tmp.path, 'data');
    // 6 normals (1 held out) and 4 real train defects with masks (1 held out).
    await makeTinyDataset(data, { size: 32, normals: 6, testNormals: 1, defects: 1, trainDefects: 4 });
    await makeTinyDataset(join(tmp.path, 'plain'), { size: 32, normals: 4, testNormals: 1, defects: 1 });
    // Neither training nor fine-tuning may read the test split: make every test image unreadable.
    for (const root of [data, join(tmp.path, 'plain')]) {
      await spoilTestSplit(root);
    }
    const common = { data, category: 'widget', out: join(tmp.path, 'a'), seed: 3, backend: 'wasm' as const, threads: 1, checkpointEvery: 0 };
    parents.srad = (await trainSrad({ ...common, preset: 'tiny', epochs: 1, batchSize: 2, lr: 1e-2 })).artifact.dir;
    parents.sfad = (await trainSfad({ ...common, preset: 'tiny', imageSize: 32, epochs: 1, batchSize: 2 })).artifact.dir;
    parents.lpd = (await trainLpd({ ...common, preset: 'tiny', imageSize: 32, epochs: 1, batchSize: 4 })).artifact.dir;
  });

  const base = (kind: string): FinetuneOptions => ({ model: parents[kind] as string, data, epochs: 2, backend: 'wasm', threads: 1, checkpointEvery: 0 });

  for (const kind of ['srad', 'sfad', 'lpd'] as const) {
    it(`${kind}: continues from the parent, records lineage and before/after, and saves a loadable artifact`, async () => {
      const tensors = tf.memory().numTensors;
      const r = await finetune(base(kind));
      expect(tf.memory().numTensors).toBe(tensors);

      // The parent's root, the next version of the same kind and category.
      expect(r.artifact.dir).toBe(join(tmp.path, 'a', kind, 'widget', 'v0002'));
      expect(r.kind).toBe(kind);
      expect(r.parent).toEqual({ kind, category: 'widget', version: 1, dir: parents[kind] });
      expect(r.data).toEqual({ trainNormals: 5, trainDefects: 3, validationNormals: 1, validationDefects: 1, unmaskedSkipped: 0 });
      expect(r.settings).toMatchObject({ epochs: 2, realRatio: 0.5, valFraction: 0.2, seed: 3 });
      expect(r.composition.real).toBeGreaterThan(0);
      expect(r.epochs).toHaveLength(2);
      for (const m of [r.metrics.before, r.metrics.after]) {
        expect(m).toMatchObject({ normals: 1, defects: 1 });
        expect(m.pixelAp).not.toBeNull();
      }
      expect(r.metrics.delta.pixelAp).toBeCloseTo((r.metrics.after.pixelAp as number) - (r.metrics.before.pixelAp as number), 10);

      const artifact = await loadArtifact(r.artifact.dir);
      const parent = await loadArtifact(parents[kind] as string);
      expect(artifact.manifest.kind).toBe(kind);
      expect(artifact.manifest.parents).toEqual([{ kind, category: 'widget', version: 1 }]);
      const metrics = artifact.manifest.metrics as { before: unknown; after: unknown; validation: unknown };
      expect(metrics.before).toEqual(r.metrics.before);
      expect(metrics.after).toEqual(r.metrics.after);
      const config = artifact.manifest.config as Record<string, unknown> & { finetune: { parent: { version: number }; realRatio: number }; validation: { source: string; heldOutDefects: number } };
      expect(config.model).toEqual((parent.manifest.config as { model: unknown }).model);
      expect(config.parentConfig).toEqual(parent.manifest.config);
      expect(config.finetune).toMatchObject({ parent: { version: 1 }, realRatio: 0.5 });
      expect(config.validation).toMatchObject({ source: 'train-defects', heldOutDefects: 1 });
      expect(artifact.manifest.models).toEqual(parent.manifest.models);
      expect(Object.keys(artifact.manifest.files).sort()).toEqual(Object.keys(parent.manifest.files).sort());

      await expectDetectorPredicts(r.artifact.dir, kind, 1);
      // Fine-tuning changed the trained weights.
      const weights = kind === 'srad' ? 'discriminative/weights.bin' : kind === 'sfad' ? 'discriminator/weights.bin' : 'weights.bin';
      expect(Buffer.compare(await artifact.readFile(weights), await parent.readFile(weights))).not.toBe(0);
    });
  }

  it('resumes from a checkpoint and ends exactly where an uninterrupted run ends', async () => {
    const { straight, resumed } = await interruptAndResume(finetune, { ...base('srad'), checkpointEvery: 1 }, tmp.path, 3);
    expect(resumed.resumedFrom?.step).toBe(3);
    expect(resumed.steps).toBe(straight.steps);
    expect(resumed.metrics.after).toEqual(straight.metrics.after);
    const bytes = async (d: string) => readFile(join(d, 'reconstructive', 'weights.bin'));
    expect(Buffer.compare(await bytes(straight.artifact.dir), await bytes(resumed.artifact.dir))).toBe(0);
    // Fine-tuning checkpoints live apart from train-srad's.
    expect(straight.checkpoints).toBe(join(tmp.path, 'straight', 'checkpoints', 'finetune-srad', 'widget'));
  });

  it('refuses a dataset without real train defects with E_NO_DEFECTS, before any training', async () => {
    const err = await failure(finetune({ ...base('sfad'), data: join(tmp.path, 'plain'), out: join(tmp.path, 'none') }));
    expect(err.code).toBe('E_NO_DEFECTS');
    expect(err.message).toContain('widget');
    await expect(readdir(join(tmp.path, 'none'))).rejects.toThrow();
  });

  it('refuses bad settings and non-submodel artifacts', async () => {
    expect((await failure(finetune({ ...base('srad'), realRatio: 2 }))).code).toBe('E_USAGE');
    expect((await failure(finetune({ ...base('lpd'), batchSize: 3 }))).message).toContain('even');
    expect((await failure(finetune({ ...base('srad'), model: join(tmp.path, 'nowhere') }))).code).toBe('E_NOT_FOUND');
  });

  it('warns when the validation split differs from the parent\'s', async () => {
    const r = await finetune({ ...base('sfad'), epochs: 1, seed: 4, out: join(tmp.path, 'other-split') });
    expect(r.warnings.join(' ')).toContain('differs from the parent');
  });
});
