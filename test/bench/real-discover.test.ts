// discoverCategories on a real temp tree: MVTec-layout directories (train/good + test) at any depth up to the
// limit are found, sorted by path, with clashing names made unique; everything else is skipped.
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { discoverCategories } from '../../bench/real/discover.js';
import { readCategories } from '../../bench/real/manifest.js';
import { makeTinyDataset } from '../helpers/tiny-dataset.js';
import { useTempDir } from '../helpers/temp-dir.js';

async function dirs(root: string, paths: string[]): Promise<void> {
  for (const p of paths) await mkdir(join(root, p), { recursive: true });
}

describe('discoverCategories', () => {
  const tmp = useTempDir('madenet-bench-discover-', 'test');

  it('finds MVTec-layout categories at any depth, sorted by path, and skips everything else', async () => {
    // Given a tree mixing categories with near misses
    await dirs(tmp.path, [
      'zeta/train/good',
      'zeta/test/good',
      'mvtec/transistor/train/good',
      'mvtec/transistor/test/bent_lead',
      'mvtec/transistor/ground_truth/bent_lead',
      'mpdd/metal_plate/train/good',
      'mpdd/metal_plate/test/defect',
      'mvtec/no_test/train/good', // test is a file below
      'mvtec/no_good/train/scratch', // no train/good
      'mvtec/no_good/test/good',
      '.hidden/cat/train/good', // hidden
      '.hidden/cat/test/good',
      'textures/stone',
    ]);
    await writeFile(join(tmp.path, 'textures', 'stone', 'a.png'), 'x');
    await writeFile(join(tmp.path, 'mvtec', 'no_test', 'test'), 'a file named test is not a split directory');

    // When discovering
    const found = await discoverCategories(tmp.path);

    // Then only the three layouts are found, in path order, with their folder names
    expect(found.map((c) => c.rel)).toEqual(['mpdd/metal_plate', 'mvtec/transistor', 'zeta']);
    expect(found.map((c) => c.name)).toEqual(['metal_plate', 'transistor', 'zeta']);
    expect(found[1]?.dir).toBe(join(tmp.path, 'mvtec', 'transistor'));
  });

  it('does not search inside a category and respects the depth limit', async () => {
    await dirs(tmp.path, ['a/train/good', 'a/test', 'a/nested/train/good', 'a/nested/test', 'b/c/d/e/train/good', 'b/c/d/e/test']);
    expect((await discoverCategories(tmp.path)).map((c) => c.rel)).toEqual(['a', 'b/c/d/e']);
    expect((await discoverCategories(tmp.path, 3)).map((c) => c.rel)).toEqual(['a']);
  });

  it('makes clashing names unique from their paths', async () => {
    await dirs(tmp.path, ['one/widget/train/good', 'one/widget/test', 'two/widget/train/good', 'two/widget/test', 'solo/train/good', 'solo/test']);
    const found = await discoverCategories(tmp.path);
    expect(found.map((c) => c.name)).toEqual(['one_widget', 'solo', 'two_widget']);
  });

  it('takes the root itself when it is one category, and returns nothing for a missing root', async () => {
    await dirs(tmp.path, ['train/good', 'test/good']);
    const found = await discoverCategories(tmp.path);
    expect(found).toHaveLength(1);
    expect(found[0]?.dir).toBe(tmp.path);
    expect(await discoverCategories(join(tmp.path, 'absent'))).toEqual([]);
  });
});

describe('readCategories (bench:real manifest)', () => {
  const tmp = useTempDir('madenet-bench-manifest-', 'test');

  it('accepts an image-level category (defects without masks): no layout error, manifest rows without masks', async () => {
    await makeTinyDataset(tmp.path, { categories: ['plate'], size: 16, normals: 2, testNormals: 1, defects: 2 });
    await rm(join(tmp.path, 'plate', 'ground_truth'), { recursive: true });
    const combined = await readCategories(await discoverCategories(tmp.path));
    expect(combined.counts.plate).toMatchObject({ trainNormals: 2, testNormals: 1, testDefects: 2, errors: [] });
    const defects = (combined.rows.plate ?? []).map((l) => JSON.parse(l) as { label: number; mask: string }).filter((r) => r.label === 1);
    expect(defects.map((r) => r.mask)).toEqual(['', '']);
  });
});
