import * as tf from '@tensorflow/tfjs';
import { readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { loadArtifact } from '../../../src/pipeline/artifacts/index.js';
import { loadPerfMap } from '../../../src/pipeline/perfmap/schema.js';
import { buildPerfmap } from '../../../src/pipeline/services/build-perfmap.js';
import { makeTinyDataset } from '../../helpers/tiny-dataset.js';
import { loadTestClassifier, loadTestDetector, writeTestClassifier, writeTestDetector } from '../infer/fixtures.js';
import { useTempDir } from '../../helpers/temp-dir.js';
import { useBackend } from '../../helpers/backends.js';

const SIZE = 32;
const base = { lambda: 0.5, seed: 7, backend: 'cpu' as const, threads: 1, loadDetector: loadTestDetector, loadClassifier: loadTestClassifier, batchSize: 4 };

/** Makes every test-split image unreadable, so that any use of the test split fails loudly. */
async function poisonTestSplit(root: string, category: string): Promise<void> {
  const testDir = join(root, category, 'test');
  for (const type of await readdir(testDir)) {
    for (const f of await readdir(join(testDir, type))) await writeFile(join(testDir, type, f), 'not a png');
  }
}

describe('build-perfmap service', () => {
  const tmp = useTempDir('madenet-perfmap-', 'test');
  useBackend('cpu');

  it('chooses the better submodel on synthetic validation defects, never reading the test split', async () => {
    // Given a category without train defects, a good (mean-diff) srad, a flat sfad and an inverted lpd,
    const data = join(tmp.path, 'data');
    await makeTinyDataset(data, { categories: ['widget'], size: SIZE, normals: 10, defects: 2 });
    await poisonTestSplit(data, 'widget');
    const art = join(tmp.path, 'artifacts');
    const srad = await writeTestDetector(art, 'srad', 'widget', { data, size: SIZE, mode: 'diff' });
    const sfad = await writeTestDetector(art, 'sfad', 'widget', { data, size: SIZE, mode: 'flat' });
    const lpd = await writeTestDetector(art, 'lpd', 'widget', { data, size: SIZE, mode: 'inverse' });
    const before = tf.memory().numTensors;
    // When the map is built,
    const result = await buildPerfmap({ ...base, data, models: [sfad.dir, lpd.dir, srad.dir], out: art });
    // Then srad is chosen over the others with a positive margin,
    const e = result.perfmap.categories.widget;
    expect(e?.chosen).toBe('srad');
    expect(e?.candidates.map((c) => c.kind)).toEqual(['srad', 'sfad', 'lpd']);
    expect(e?.margin).toBeGreaterThan(0);
    expect(e?.candidates[0]?.imageAuroc).toBeGreaterThan(0.7);
    expect(e?.candidates[1]).toMatchObject({ imageAuroc: 0.5 });
    expect(e?.candidates[0]?.objective).toBeCloseTo(0.5 * (e?.candidates[0]?.imageAuroc as number) + 0.5 * (e?.candidates[0]?.pixelAp as number), 12);
    // on a hold-out of 2 normals (0.2 of 10) and 2 synthetic defects each, with normal-quantile thresholds,
    expect(e?.validation).toEqual({ source: 'synthetic', normals: 2, defects: 4, masked: 4, size: SIZE, objective: 'lambda' });
    expect(result.perfmap.validationData).toBeNull();
    expect(e?.candidates[0]?.threshold).toMatchObject({ method: 'normal-quantile', targetFpr: 0.01, normals: 2 });
    // saved as perfmap/all/v0001 with the exact artifact versions, loadable again,
    expect(result.artifact.dir).toBe(join(art, 'perfmap', 'all', 'v0001'));
    const loaded = await loadPerfMap(join(art, 'perfmap', 'all'));
    expect(loaded.perfmap).toEqual(JSON.parse(JSON.stringify(result.perfmap)));
    const ptr = loaded.perfmap.categories.widget?.candidates[0]?.artifact;
    expect(ptr).toMatchObject({ kind: 'srad', category: 'widget', version: 1, dir: srad.dir, relativeDir: '../../../srad/widget/v0001' });
    expect(ptr?.manifestSha256).toMatch(/^[0-9a-f]{64}$/);
    const manifest = (await loadArtifact(result.artifact.dir)).manifest;
    expect(manifest.parents.map((p) => p.kind).sort()).toEqual(['lpd', 'sfad', 'srad']);
    expect(manifest.seed).toBe(7);
    // and no tensor is left behind.
    expect(tf.memory().numTensors).toBe(before);
  });

  it('uses train-split defects (ManuDefect-21 style) with F1-optimal thresholds and exact Pixel-AP', async () => {
    const data = join(tmp.path, 'data');
    await makeTinyDataset(data, { categories: ['chip'], size: SIZE, normals: 10, trainDefects: 3, defects: 1 });
    await poisonTestSplit(data, 'chip');
    const art = join(tmp.path, 'artifacts');
    const srad = await writeTestDetector(art, 'srad', 'chip', { data, size: SIZE });
    const result = await buildPerfmap({ ...base, data, models: [srad.dir], out: art, lambda: 0.3 });
    const e = result.perfmap.categories.chip;
    // One of the three train defects is held out (the same holdOut as finetune), so none used for training is scored.
    expect(e?.validation).toEqual({ source: 'train-defects', normals: 2, defects: 1, masked: 1, size: SIZE, objective: 'lambda' });
    expect(e?.candidates[0]?.threshold.method).toBe('f1');
    // The red discs differ strongly from the mean: both metrics are (near) perfect and the objective follows lambda.
    expect(e?.candidates[0]?.imageAuroc).toBe(1);
    expect(e?.candidates[0]?.pixelAp).toBeGreaterThan(0.8);
    expect(e?.candidates[0]?.objective).toBeCloseTo(0.3 + 0.7 * (e?.candidates[0]?.pixelAp as number), 12);
    expect(e?.margin).toBeNull();
    expect(e?.runnerUp).toBeNull();
  });

  it('chooses by image AUROC alone (lambda ignored, said so) when the validation defects have no masks', async () => {
    // Given train defects without masks (image-level labels),
    const data = join(tmp.path, 'data');
    await makeTinyDataset(data, { categories: ['chip'], size: SIZE, normals: 10, trainDefects: 6, defects: 1 });
    await rm(join(data, 'chip', 'ground_truth'), { recursive: true });
    await poisonTestSplit(data, 'chip');
    const art = join(tmp.path, 'artifacts');
    const srad = await writeTestDetector(art, 'srad', 'chip', { data, size: SIZE, mode: 'diff' });
    const lpd = await writeTestDetector(art, 'lpd', 'chip', { data, size: SIZE, mode: 'inverse' });
    // When the map is built at two very different lambdas,
    const runs = [];
    for (const lambda of [0, 1]) runs.push(await buildPerfmap({ ...base, data, models: [lpd.dir, srad.dir], out: art, lambda }));
    for (const r of runs) {
      // Then each objective is the image AUROC, Pixel-AP is null, the choice is the same, and the output says why.
      const e = r.perfmap.categories.chip;
      expect(e?.validation).toMatchObject({ source: 'train-defects', defects: 1, masked: 0, objective: 'image-auroc' });
      expect(e?.chosen).toBe('srad');
      for (const c of e?.candidates ?? []) {
        expect(c.pixelAp).toBeNull();
        expect(c.objective).toBe(c.imageAuroc);
      }
      expect(r.warnings.join('\n')).toMatch(/chip: no validation defect has a mask \(image-level labels\); chose by image AUROC only \(lambda [01] ignored\)/);
    }
  });

  it('prefers --validation-data (masks optional) for the categories it has, records it, and refuses one that shares test images', async () => {
    // Given --data with train defects that must not be read (poisoned) for alpha, and a validation folder with
    // normals and unmasked defects of alpha only,
    const data = join(tmp.path, 'data');
    await makeTinyDataset(data, { categories: ['alpha', 'beta'], size: SIZE, normals: 10, trainDefects: 2, defects: 1 });
    for (const f of await readdir(join(data, 'alpha', 'train', 'scratch'))) await writeFile(join(data, 'alpha', 'train', 'scratch', f), 'not a png');
    await poisonTestSplit(data, 'alpha');
    const val = join(tmp.path, 'val');
    await makeTinyDataset(val, { categories: ['alpha', 'other'], size: SIZE, normals: 0, testNormals: 3, defects: 4, seed: 5 });
    await rm(join(val, 'alpha', 'ground_truth'), { recursive: true });
    const art = join(tmp.path, 'artifacts');
    const a = await writeTestDetector(art, 'srad', 'alpha', { data, size: SIZE, mode: 'diff' });
    const b = await writeTestDetector(art, 'srad', 'beta', { data, size: SIZE, mode: 'diff' });
    // When the map is built with --validation-data,
    const r = await buildPerfmap({ ...base, data, validationData: val, models: [a.dir, b.dir], out: art });
    // Then alpha is validated on the folder's 3 normals + 4 defects, by image AUROC (no masks there), F1 thresholds,
    expect(r.perfmap.categories.alpha?.validation).toEqual({ source: 'validation-data', normals: 3, defects: 4, masked: 0, size: SIZE, objective: 'image-auroc' });
    expect(r.perfmap.categories.alpha?.candidates[0]?.threshold.method).toBe('f1');
    expect(r.perfmap.categories.alpha?.candidates[0]?.imageAuroc).toBe(1);
    // beta (absent from the folder) on its own train defects, and the map records the folder and what used it.
    expect(r.perfmap.categories.beta?.validation.source).toBe('train-defects');
    expect(r.perfmap.validationData).toMatchObject({ root: val, categories: ['alpha'] });
    expect(r.perfmap.validationData?.fingerprint).toMatch(/^[0-9a-f]{64}$/);
    const w = r.warnings.join('\n');
    expect(w).toMatch(/has categories other, which this map does not cover/);
    expect(w).toMatch(/beta: --validation-data has no defect of it/);
    // A validation folder that is the test split itself is refused.
    await expect(buildPerfmap({ ...base, data, validationData: data, models: [a.dir, b.dir], out: art })).rejects.toMatchObject({
      code: 'E_DATASET',
      message: expect.stringContaining('test-split image'),
    });
  });

  it('resolves a tie by the order of --models and reports it', async () => {
    const data = join(tmp.path, 'data');
    await makeTinyDataset(data, { categories: ['widget'], size: SIZE, normals: 10 });
    const art = join(tmp.path, 'artifacts');
    // Two submodels that compute exactly the same thing tie on every metric.
    const sfad = await writeTestDetector(art, 'sfad', 'widget', { data, size: SIZE });
    const srad = await writeTestDetector(art, 'srad', 'widget', { data, size: SIZE });
    const a = await buildPerfmap({ ...base, data, models: [sfad.dir, srad.dir], out: art });
    expect(a.perfmap.categories.widget).toMatchObject({ chosen: 'sfad', runnerUp: 'srad', margin: 0, tie: true });
    expect(a.warnings.join('\n')).toMatch(/widget: sfad and srad tie/);
    const b = await buildPerfmap({ ...base, data, models: [srad.dir, sfad.dir], out: art });
    expect(b.perfmap.categories.widget).toMatchObject({ chosen: 'srad', runnerUp: 'sfad', tie: true });
    expect(b.artifact.version).toBe(2);
  });

  it('names a category with no usable model, and refuses two models of one kind for a category', async () => {
    const data = join(tmp.path, 'data');
    await makeTinyDataset(data, { categories: ['alpha', 'beta', 'gamma'], size: SIZE, normals: 3 });
    const art = join(tmp.path, 'artifacts');
    const a = await writeTestDetector(art, 'srad', 'alpha', { data, size: SIZE });
    await expect(buildPerfmap({ ...base, data, models: [a.dir], out: art })).rejects.toMatchObject({
      code: 'E_PERFMAP',
      message: expect.stringContaining('No usable model for category beta, gamma'),
    });
    const a2 = await writeTestDetector(art, 'srad', 'alpha', { data, size: SIZE });
    await expect(buildPerfmap({ ...base, data, models: [a.dir, a2.dir], out: art, categories: ['alpha'] })).rejects.toMatchObject({
      code: 'E_USAGE',
      message: expect.stringContaining('Two srad artifacts for category alpha'),
    });
    // With --category the other categories are not needed.
    const ok = await buildPerfmap({ ...base, data, models: [a.dir], out: art, categories: ['alpha'] });
    expect(Object.keys(ok.perfmap.categories)).toEqual(['alpha']);
    expect(await readdir(join(art, 'perfmap', 'all'))).toEqual(['LATEST', 'v0001']);
  });

  it('records the classifier and warns about categories the map and the classifier do not share', async () => {
    const data = join(tmp.path, 'data');
    await makeTinyDataset(data, { categories: ['alpha', 'beta'], size: SIZE, normals: 3 });
    const art = join(tmp.path, 'artifacts');
    const a = await writeTestDetector(art, 'srad', 'alpha', { data, size: SIZE });
    const b = await writeTestDetector(art, 'srad', 'beta', { data, size: SIZE });
    const cls = await writeTestClassifier(art, { data, size: 16, temperature: 1e-4, means: { alpha: 'alpha', zeta: 'beta' } });
    const r = await buildPerfmap({ ...base, data, models: [a.dir, b.dir], classifier: cls.dir, out: art });
    expect(r.perfmap.classifier).toMatchObject({ kind: 'classifier', version: 1, categories: ['alpha', 'zeta'], imageSize: 16 });
    expect(r.warnings.join('\n')).toMatch(/also knows zeta/);
    expect(r.warnings.join('\n')).toMatch(/does not know beta/);
    await expect(buildPerfmap({ ...base, data, models: [a.dir, b.dir], classifier: a.dir, out: art })).rejects.toMatchObject({ code: 'E_ARTIFACT' });
    const text = await readFile(join(r.artifact.dir, 'perfmap.json'), 'utf8');
    expect(JSON.parse(text).schema).toBe('madenet.perfmap/v1');
  });
});
