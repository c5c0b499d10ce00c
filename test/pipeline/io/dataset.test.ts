import { cp, mkdir, rm, symlink, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { annotationOf, datasetFingerprint, loadDataset, samplesOf } from '../../../src/pipeline/io/dataset.js';
import { makeTinyDataset } from '../../helpers/tiny-dataset.js';
import { useTempDir } from '../../helpers/temp-dir.js';

describe('loadDataset (MVTec AD layout)', () => {
  const tmp = useTempDir('madenet-ds-', 'test');

  it('finds every category under a root, with splits, labels, defect types and masks', async () => {
    // Given two categories with 3 train, 2 test normals and 2 defects of each of two types
    await makeTinyDataset(tmp.path, { categories: ['resistor', 'cap'], size: 16, normals: 3, testNormals: 2, defects: 2, defectTypes: ['crack', 'tilt'] });
    const ds = await loadDataset(tmp.path);
    expect(ds.layout).toBe('mvtec');
    expect(ds.categories).toEqual(['cap', 'resistor']);
    expect(ds.problems).toEqual([]);
    expect(ds.samples).toHaveLength(2 * (3 + 2 + 4));
    const test = samplesOf(ds, { category: 'resistor', split: 'test' });
    expect(test.map((s) => `${s.defectType}:${s.label}`)).toEqual(['crack:1', 'crack:1', 'good:0', 'good:0', 'tilt:1', 'tilt:1']);
    const crack = test[0];
    expect(crack?.path).toBe(join(tmp.path, 'resistor', 'test', 'crack', '000.png'));
    expect(crack?.maskPath).toBe(join(tmp.path, 'resistor', 'ground_truth', 'crack', '000_mask.png'));
    expect(samplesOf(ds, { category: 'cap', split: 'train' }).every((s) => s.label === 0 && s.maskPath === null)).toBe(true);
    // Train samples come before test samples within a category
    expect(ds.samples.slice(0, 3).map((s) => s.split)).toEqual(['train', 'train', 'train']);
  });

  it('loads a single category directory and filters categories by name', async () => {
    await makeTinyDataset(tmp.path, { categories: ['a', 'b'], size: 16, normals: 1, defects: 1 });
    const one = await loadDataset(join(tmp.path, 'b'));
    expect(one.categories).toEqual(['b']);
    expect(one.samples).toHaveLength(3);
    const picked = await loadDataset(tmp.path, { categories: ['b'] });
    expect(picked.categories).toEqual(['b']);
    await expect(loadDataset(tmp.path, { categories: ['zzz'] })).rejects.toMatchObject({ code: 'E_DATASET', message: expect.stringMatching(/zzz.*a, b/) });
  });

  it('follows symbolically linked category directories', async () => {
    await makeTinyDataset(join(tmp.path, 'elsewhere'), { categories: ['real'], size: 16, normals: 1, defects: 1 });
    await mkdir(join(tmp.path, 'root'));
    await symlink(join(tmp.path, 'elsewhere', 'real'), join(tmp.path, 'root', 'linked'));
    const ds = await loadDataset(join(tmp.path, 'root'));
    expect(ds.categories).toEqual(['linked']);
    expect(ds.samples).toHaveLength(3);
  });

  it('reads the ManuDefect-21 extension: defect types under train with masks under ground_truth', async () => {
    await makeTinyDataset(tmp.path, { categories: ['ic'], size: 16, normals: 2, defects: 1, trainDefects: 2, defectTypes: ['bridge'] });
    const ds = await loadDataset(tmp.path);
    const trainDefects = samplesOf(ds, { split: 'train', label: 1 });
    expect(trainDefects.map((s) => s.defectType)).toEqual(['bridge', 'bridge']);
    expect(trainDefects.every((s) => s.maskPath?.endsWith(`${s.path.split('/').pop()?.replace('.png', '')}_mask.png`))).toBe(true);
    expect(ds.problems).toEqual([]);
  });

  it('prefers split-specific masks under ground_truth/<split>/<type> when present', async () => {
    await makeTinyDataset(tmp.path, { categories: ['ic'], size: 16, normals: 1, defects: 0, defectTypes: [] });
    const img = sharp({ create: { width: 16, height: 16, channels: 3, background: '#888' } }).png();
    await mkdir(join(tmp.path, 'ic', 'train', 'bridge'), { recursive: true });
    await mkdir(join(tmp.path, 'ic', 'ground_truth', 'train', 'bridge'), { recursive: true });
    await img.clone().toFile(join(tmp.path, 'ic', 'train', 'bridge', '000.png'));
    await img.clone().toFile(join(tmp.path, 'ic', 'ground_truth', 'train', 'bridge', '000_mask.png'));
    const ds = await loadDataset(tmp.path);
    expect(samplesOf(ds, { label: 1 })[0]?.maskPath).toBe(join(tmp.path, 'ic', 'ground_truth', 'train', 'bridge', '000_mask.png'));
  });

  it('reports missing masks, orphan masks, stray files and empty categories as problems', async () => {
    await makeTinyDataset(tmp.path, { categories: ['ok', 'bad'], size: 16, normals: 1, defects: 2 });
    await unlink(join(tmp.path, 'bad', 'ground_truth', 'scratch', '001_mask.png'));
    await writeFile(join(tmp.path, 'bad', 'ground_truth', 'scratch', '007_mask.png'), 'x');
    await writeFile(join(tmp.path, 'bad', 'test', 'good', 'Thumbs.db'), 'x');
    await mkdir(join(tmp.path, 'hollow', 'train', 'good'), { recursive: true });
    const ds = await loadDataset(tmp.path);
    expect(ds.categories).toEqual(['bad', 'hollow', 'ok']);
    const byCode = ds.problems.map((p) => `${p.category}:${p.code}:${p.severity}:${p.path.slice(tmp.path.length + 1)}`).sort();
    expect(byCode).toEqual([
      'bad:E_DATASET:warning:bad/ground_truth/scratch/007_mask.png',
      'bad:E_DATASET:warning:bad/test/good/Thumbs.db',
      'bad:E_MASK_MISSING:warning:bad/test/scratch/001.png',
      'hollow:E_DATASET:error:hollow',
    ]);
    const missing = ds.problems.find((p) => p.code === 'E_MASK_MISSING');
    expect(missing?.message).toContain(join(tmp.path, 'bad', 'ground_truth', 'scratch', '001_mask.png'));
    expect(samplesOf(ds, { category: 'bad', label: 1 }).map((s) => s.maskPath === null)).toEqual([false, true]);
  });

  it('accepts an image-level category (defects, no masks) without a problem and says so through annotationOf', async () => {
    // Given a category whose ground_truth/ is gone entirely and one that keeps all but one mask,
    await makeTinyDataset(tmp.path, { categories: ['labels', 'partly', 'full'], size: 16, normals: 1, defects: 2 });
    await rm(join(tmp.path, 'labels', 'ground_truth'), { recursive: true });
    await unlink(join(tmp.path, 'partly', 'ground_truth', 'scratch', '000_mask.png'));
    // When loaded,
    const ds = await loadDataset(tmp.path);
    // Then only the partial gap is a (warning) problem, and each category's annotation level is told apart.
    expect(ds.problems.map((p) => `${p.category}:${p.code}:${p.severity}`)).toEqual(['partly:E_MASK_MISSING:warning']);
    const level = (c: string): unknown => annotationOf(samplesOf(ds, { category: c }));
    expect(level('labels')).toEqual({ level: 'image', defects: 2, masked: 0 });
    expect(level('partly')).toEqual({ level: 'mixed', defects: 2, masked: 1 });
    expect(level('full')).toEqual({ level: 'pixel', defects: 2, masked: 2 });
    expect(annotationOf(samplesOf(ds, { category: 'full', label: 0 }))).toEqual({ level: 'none', defects: 0, masked: 0 });
  });

  it('fails clearly on a root without categories or that does not exist', async () => {
    await mkdir(join(tmp.path, 'empty'));
    await expect(loadDataset(join(tmp.path, 'empty'))).rejects.toMatchObject({ code: 'E_DATASET', message: expect.stringContaining('train/good') });
    await expect(loadDataset(join(tmp.path, 'nope'))).rejects.toMatchObject({ code: 'E_NOT_FOUND' });
  });
});

describe('loadDataset (manifest)', () => {
  const tmp = useTempDir('madenet-manifest-', 'test');
  beforeEach(async () => {
    await makeTinyDataset(join(tmp.path, 'imgs'), { categories: ['c'], size: 16, normals: 2, testNormals: 1, defects: 1 });
  });

  it('reads CSV with quoted fields and relative paths', async () => {
    const csv = [
      'path,category,split,label,defect_type,mask',
      'imgs/c/train/good/000.png,pcb,train,0,,',
      '"imgs/c/train/good/001.png",pcb,train,normal,good,',
      'imgs/c/test/scratch/000.png,pcb,test,1,"scratch, deep",imgs/c/ground_truth/scratch/000_mask.png',
      'imgs/c/test/good/000.png,pcb,test,0,good,',
      '',
    ].join('\r\n');
    await writeFile(join(tmp.path, 'm.csv'), csv);
    const ds = await loadDataset(join(tmp.path, 'm.csv'));
    expect(ds.layout).toBe('manifest');
    expect(ds.categories).toEqual(['pcb']);
    expect(ds.problems).toEqual([]);
    expect(ds.samples.map((s) => [s.split, s.label, s.defectType])).toEqual([
      ['train', 0, 'good'],
      ['train', 0, 'good'],
      ['test', 0, 'good'],
      ['test', 1, 'scratch, deep'],
    ]);
    expect(ds.samples[3]?.maskPath).toBe(join(tmp.path, 'imgs', 'c', 'ground_truth', 'scratch', '000_mask.png'));
  });

  it('reads JSONL and reports missing files as problems', async () => {
    const lines = [
      { path: 'imgs/c/train/good/000.png', category: 'pcb', split: 'train', label: 0 },
      { path: 'imgs/c/test/scratch/000.png', category: 'pcb', split: 'test', label: 1, defectType: 'scratch', mask: 'nope_mask.png' },
      { path: 'imgs/c/test/gone.png', category: 'pcb', split: 'test', label: 0 },
      { path: 'imgs/c/test/good/000.png', category: 'pcb', split: 'test', label: 'anomaly' },
    ];
    await writeFile(join(tmp.path, 'm.jsonl'), `${lines.map((l) => JSON.stringify(l)).join('\n')}\n`);
    const ds = await loadDataset(join(tmp.path, 'm.jsonl'));
    expect(ds.samples).toHaveLength(3);
    expect(ds.problems.map((p) => `${p.code}:${p.severity}`).sort()).toEqual(['E_MASK_MISSING:error', 'E_MASK_MISSING:warning', 'E_NOT_FOUND:error']);
  });

  it('accepts an image-level manifest (no mask column) without a problem', async () => {
    const csv = ['path,category,split,label', 'imgs/c/train/good/000.png,pcb,train,0', 'imgs/c/test/scratch/000.png,pcb,test,1', 'imgs/c/test/good/000.png,pcb,test,0', ''].join('\n');
    await writeFile(join(tmp.path, 'm.csv'), csv);
    const ds = await loadDataset(join(tmp.path, 'm.csv'));
    expect(ds.problems).toEqual([]);
    expect(annotationOf(ds.samples)).toEqual({ level: 'image', defects: 1, masked: 0 });
  });

  it.each([
    ['path,category,split\nx.png,c,train\n', /no "label" column/],
    ['path,category,split,label\nx.png,c,val,0\n', /m\.csv:2 has split "val"; expected split to be train or test/],
    ['path,category,split,label\nx.png,c,train,maybe\n', /m\.csv:2 has label "maybe"/],
    ['path,category,split,label\n,c,train,0\n', /m\.csv:2 has no path/],
    ['path,category,split,label\n"x.png,c,train,0\n', /ends inside a quoted field/],
  ])('rejects a malformed CSV with an error naming the row (%#)', async (text, message) => {
    await writeFile(join(tmp.path, 'm.csv'), text);
    await expect(loadDataset(join(tmp.path, 'm.csv'))).rejects.toMatchObject({ code: 'E_DATASET', message: expect.stringMatching(message) });
  });

  it('rejects a JSONL line that is not an object, naming file:line', async () => {
    await writeFile(join(tmp.path, 'm.jsonl'), '{"path":"a.png","category":"c","split":"train","label":0}\n[1,2]\n');
    await expect(loadDataset(join(tmp.path, 'm.jsonl'))).rejects.toMatchObject({ code: 'E_DATASET', message: expect.stringContaining('m.jsonl:2') });
  });
});

describe('datasetFingerprint', () => {
  const tmp = useTempDir('madenet-fp-', 'test');

  it('is stable when the dataset moves, and changes when a file or a label changes', async () => {
    await makeTinyDataset(join(tmp.path, 'one'), { categories: ['c'], size: 16, normals: 2, defects: 1 });
    const a = datasetFingerprint((await loadDataset(join(tmp.path, 'one'))).samples);
    expect(a).toMatch(/^[0-9a-f]{64}$/);
    // Copied elsewhere (new mtimes, new absolute paths) and loaded as a single category: same fingerprint
    await cp(join(tmp.path, 'one', 'c'), join(tmp.path, 'two', 'nested', 'c'), { recursive: true });
    const moved = await loadDataset(join(tmp.path, 'two', 'nested', 'c'));
    expect(datasetFingerprint(moved.samples)).toBe(a);
    // Same order-independence: shuffling samples does not matter
    expect(datasetFingerprint([...moved.samples].reverse())).toBe(a);
    // A label change or a replaced file changes it
    const relabelled = moved.samples.map((s, i) => (i === 0 ? { ...s, defectType: 'other' } : s));
    expect(datasetFingerprint(relabelled)).not.toBe(a);
    await writeFile(join(tmp.path, 'two', 'nested', 'c', 'train', 'good', '000.png'), 'different bytes');
    expect(datasetFingerprint(moved.samples)).not.toBe(a);
  });
});
