import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { listImages } from '../../../src/pipeline/io/glob.js';

describe('listImages', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'madenet-glob-'));
    // Given files created in an order unlike their sorted order, in nested folders and odd-named folders
    for (const rel of ['b/2.png', 'a/10.JPG', 'a/1.jpeg', 'lot[1]/x.webp', 'c.tiff', 'notes.txt', 'z/readme.md']) {
      await mkdir(join(dir, rel, '..'), { recursive: true });
      await writeFile(join(dir, rel), 'x');
    }
  });
  afterEach(async () => rm(dir, { recursive: true, force: true }));

  it('lists every image under a directory recursively, sorted, ignoring other files', async () => {
    const files = await listImages(dir);
    expect(files.map((f) => f.slice(dir.length + 1))).toEqual(['a/1.jpeg', 'a/10.JPG', 'b/2.png', 'c.tiff', 'lot[1]/x.webp']);
  });

  it('expands a glob pattern and keeps only images, sorted', async () => {
    const files = await listImages(`${dir}/{a,b}/*`);
    expect(files.map((f) => f.slice(dir.length + 1))).toEqual(['a/1.jpeg', 'a/10.JPG', 'b/2.png']);
  });

  it('accepts a single image file', async () => {
    expect(await listImages(join(dir, 'c.tiff'))).toEqual([join(dir, 'c.tiff')]);
  });

  it('fails with E_NO_IMAGES naming the input when nothing matches', async () => {
    await expect(listImages(join(dir, 'z'))).rejects.toMatchObject({ code: 'E_NO_IMAGES', message: expect.stringContaining(join(dir, 'z')) });
    await expect(listImages(`${dir}/*.txt`)).rejects.toMatchObject({ code: 'E_NO_IMAGES' });
    await expect(listImages(join(dir, 'missing'))).rejects.toMatchObject({ code: 'E_NO_IMAGES' });
  });
});
