import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import type { MadenetError } from '../../../src/pipeline/core/errors.js';
import { loadDataset, samplesOf, streamSamples, type Sample } from '../../../src/pipeline/io/dataset.js';
import { maskArea } from '../../../src/pipeline/io/image.js';
import { makeTinyDataset } from '../../helpers/tiny-dataset.js';
import { useTempDir } from '../../helpers/temp-dir.js';

describe('streamSamples', () => {
  const tmp = useTempDir('madenet-stream-', 'test');
  beforeEach(async () => {
    await makeTinyDataset(tmp.path, { categories: ['c'], size: 24, normals: 3, testNormals: 2, defects: 3 });
  });

  it('decodes samples in order, resized, with masks for defects and null for normals', async () => {
    const ds = await loadDataset(tmp.path);
    const test = samplesOf(ds, { split: 'test' });
    const out = [];
    for await (const d of streamSamples(test, { size: 16, concurrency: 2, prefetch: 1, withMasks: true })) out.push(d);
    expect(out.map((d) => d.sample)).toEqual(test);
    for (const d of out) {
      expect([d.image.width, d.image.height, d.image.data.length]).toEqual([16, 16, 16 * 16 * 3]);
      if (d.sample.label === 0) expect(d.mask).toBeNull();
      else {
        expect([d.mask?.width, d.mask?.height]).toEqual([16, 16]);
        expect(maskArea(d.mask!)).toBeGreaterThan(0);
      }
    }
  });

  it('with a slow consumer, takes at most concurrency + prefetch samples ahead of it', async () => {
    const ds = await loadDataset(tmp.path);
    const all = ds.samples; // 11 samples
    let pulled = 0;
    async function* source(): AsyncGenerator<Sample> {
      for (const s of all) {
        pulled++;
        yield s;
      }
    }
    let consumed = 0;
    let peakAhead = 0;
    for await (const d of streamSamples(source(), { size: 8, concurrency: 2, prefetch: 1 })) {
      expect(d.sample).toBe(all[consumed]);
      peakAhead = Math.max(peakAhead, pulled - consumed);
      await new Promise((r) => setTimeout(r, 15));
      consumed++;
    }
    expect(consumed).toBe(all.length);
    expect(peakAhead).toBeLessThanOrEqual(3);
    expect(peakAhead).toBe(3);
  });

  it('leaves masks out unless asked', async () => {
    const ds = await loadDataset(tmp.path);
    for await (const d of streamSamples(samplesOf(ds, { label: 1 }), { concurrency: 1 })) {
      expect(d.mask).toBeNull();
      expect(d.image.width).toBe(24);
    }
  });

  it('fails on a mask whose size differs from its image with E_MASK_SIZE', async () => {
    const ds = await loadDataset(tmp.path);
    const defect = samplesOf(ds, { label: 1 })[1] as Sample;
    await sharp(Buffer.alloc(20 * 20), { raw: { width: 20, height: 20, channels: 1 } }).png().toFile(defect.maskPath as string);
    const run = async (): Promise<void> => {
      for await (const _ of streamSamples(samplesOf(ds, { label: 1 }), { size: 16, withMasks: true })) {
        // drain
      }
    };
    await expect(run()).rejects.toMatchObject({ code: 'E_MASK_SIZE', message: expect.stringContaining(defect.path) });
  });

  it('fails on an undecodable image, or skips and counts it with skipBadImages', async () => {
    const ds = await loadDataset(tmp.path);
    const train = samplesOf(ds, { split: 'train' });
    await writeFile(train[1]?.path as string, 'not a png');
    const failing = async (): Promise<void> => {
      for await (const _ of streamSamples(train, { size: 16 })) {
        // drain
      }
    };
    await expect(failing()).rejects.toMatchObject({ code: 'E_DECODE', message: expect.stringContaining(train[1]?.path as string) });

    const skipped: [Sample, MadenetError][] = [];
    const kept: string[] = [];
    for await (const d of streamSamples(train, { size: 16, skipBadImages: true, onSkip: (s, e) => skipped.push([s, e]) })) kept.push(d.sample.path);
    expect(kept).toEqual([train[0]?.path, train[2]?.path]);
    expect(skipped.map(([s, e]) => [s.path, e.code])).toEqual([[train[1]?.path, 'E_DECODE']]);
  });
});
