import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { listImages } from '../../../src/pipeline/io/glob.js';
import { useTempDir } from '../../helpers/temp-dir.js';

describe('listImages', () => {
  const tmp = useTempDir('madenet-glob-', 'test');
  beforeEach(async () => {
    // Given files created in an order unlike their sorted order, in nested folders and odd-named folders
    for (const rel of ['b/2.png', 'a/10.JPG', 'a/1.jpeg', 'lot[1]/x.webp', 'c.tiff', 'notes.txt', 'z/readme.md']) {
      await mkdir(join(tmp.path, rel, '..'), { recursive: true });
      await writeFile(join(tmp.path, rel), 'x');
    }
  });

  it('lists every image under a directory recursively, sorted, ignoring other files', async () => {
    const files = await listImages(tmp.path);
    expect(files.map((f) => f.slice(tmp.path.length + 1))).toEqual(['a/1.jpeg', 'a/10.JPG', 'b/2.png', 'c.tiff', 'lot[1]/x.webp']);
  });

  it('expands a glob pattern and keeps only images, sorted', async () => {
    const files = await listImages(`${tmp.path}/{a,b}/*`);
    expect(files.map((f) => f.slice(tmp.path.length + 1))).toEqual(['a/1.jpeg', 'a/10.JPG', 'b/2.png']);
  });

  it('accepts a single image file', async () => {
    expect(await listImages(join(tmp.path, 'c.tiff'))).toEqual([join(tmp.path, 'c.tiff')]);
  });

  it('fails with E_NO_IMAGES naming the input when nothing matches', async () => {
    await expect(listImages(join(tmp.path, 'z'))).rejects.toMatchObject({ code: 'E_NO_IMAGES', message: expect.stringContaining(join(tmp.path, 'z')) });
    await expect(listImages(`${tmp.path}/*.txt`)).rejects.toMatchObject({ code: 'E_NO_IMAGES' });
    await expect(listImages(join(tmp.path, 'missing'))).rejects.toMatchObject({ code: 'E_NO_IMAGES' });
  });
});
