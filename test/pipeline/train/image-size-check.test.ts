// A preset's size that differs from the data's is warned about; an explicit --image-size is only recorded.
import { join } from 'node:path';
import sharp from 'sharp';
import { checkImageSize } from '../../../src/pipeline/train/image-size-check.js';
import { useTempDir } from '../../helpers/temp-dir.js';

describe('checkImageSize', () => {
  const tmp = useTempDir('madenet-size-');
  let paths: string[];
  beforeAll(async () => {
    paths = [join(tmp.path, 'a.png'), join(tmp.path, 'b.png')];
    for (const p of paths) await sharp({ create: { width: 64, height: 64, channels: 3, background: { r: 9, g: 9, b: 9 } } }).png().toFile(p);
  });

  it('warns when the preset trains tiny SRAD at 32 px on 64 px data, naming the fix', async () => {
    const { record, warning } = await checkImageSize(paths, 32, false);
    expect(record).toEqual({ trainedAt: 32, from: 'preset', dataSizes: ['64x64'] });
    expect(warning).toContain('Training at 32 px');
    expect(warning).toContain('--image-size 64');
  });

  it('only records a size given with --image-size, and says nothing when the sizes agree', async () => {
    expect(await checkImageSize(paths, 32, true)).toEqual({ record: { trainedAt: 32, from: 'flag', dataSizes: ['64x64'] }, warning: null });
    expect((await checkImageSize(paths, 64, false)).warning).toBeNull();
  });
});
