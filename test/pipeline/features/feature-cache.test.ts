import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { extractOnce } from '../../../src/pipeline/features/extract.js';
import { extractorKey, FeatureCache, fileSha256 } from '../../../src/pipeline/features/feature-cache.js';
import { writePng } from '../../../src/pipeline/io/decode.js';
import { createImage, type RgbImage } from '../../../src/pipeline/io/image.js';
import type { Sample } from '../../../src/pipeline/io/dataset.js';
import { useTempDir } from '../../helpers/temp-dir.js';

function sample(path: string): Sample {
  return { path, category: 'c', split: 'train', label: 0, defectType: 'good', maskPath: null };
}

describe('FeatureCache and extractOnce', () => {
  const tmp = useTempDir('madenet-feature-cache-');

  it('Given a first run, every image misses and is computed; a second run hits and computes nothing, same values', async () => {
    const paths = [0.1, 0.5, 0.9].map((v, i) => join(tmp.path, `img${i}.png`));
    for (const [i, p] of paths.entries()) await writePng(p, createImage(8, 8, [0.1, 0.5, 0.9][i]));
    const samples = paths.map(sample);
    let computed = 0;
    // The "features": the mean pixel value and the image size, two arrays per image.
    const compute = async (images: RgbImage[]): Promise<Float32Array[][]> => {
      computed += images.length;
      return images.map((im) => [Float32Array.of(im.data.reduce((s, v) => s + v, 0) / im.data.length), Float32Array.of(im.width, im.height)]);
    };
    const store = await FeatureCache.open(join(tmp.path, 'cache'), 1e6);
    const key = extractorKey({ backbone: 'test', layers: ['a'], size: 8 });
    const first = await extractOnce(samples, { size: 8, batchSize: 2, compute, cache: { store, extractorKey: key } });
    expect(computed).toBe(3);
    expect(store.stats).toMatchObject({ hits: 0, misses: 3, writes: 3 });
    const again = await extractOnce(samples, { size: 8, batchSize: 2, compute, cache: { store, extractorKey: key } });
    expect(computed).toBe(3);
    expect(store.stats).toMatchObject({ hits: 3, misses: 3 });
    expect(again).toEqual(first);
    expect(first[2]?.[0]?.[0]).toBeCloseTo(0.9, 2);

    // Invalidation: another extractor key misses; changed file content misses (the key hashes the bytes).
    await extractOnce(samples, { size: 8, batchSize: 2, compute, cache: { store, extractorKey: extractorKey({ backbone: 'test', layers: ['b'], size: 8 }) } });
    expect(computed).toBe(6);
    const oldSha = await fileSha256(paths[0] as string);
    await writePng(paths[0] as string, createImage(8, 8, 0.3));
    expect(await fileSha256(paths[0] as string)).not.toBe(oldSha);
    const changed = await extractOnce(samples, { size: 8, batchSize: 2, compute, cache: { store, extractorKey: key } });
    expect(computed).toBe(7);
    expect(changed[0]?.[0]?.[0]).toBeCloseTo(0.3, 2);
    expect(changed[1]).toEqual(first[1]);
  });

  it('evicts the least recently used entries beyond the size limit and treats a corrupt entry as a miss', async () => {
    const store = await FeatureCache.open(join(tmp.path, 'small'), 3 * 150);
    const big = [new Float32Array(25)]; // 100 data bytes + a 16-byte header per entry
    for (const k of ['a', 'b', 'c']) await store.put(k, big);
    await store.get('a'); // a is now more recently used than b
    await new Promise((r) => setTimeout(r, 20));
    await store.put('d', big);
    expect(store.stats.evicted).toBe(1);
    expect(await store.size()).toBeLessThanOrEqual(450);
    expect(await store.get('b')).toBeNull();
    expect(await store.get('a')).not.toBeNull();
    await writeFile(join(tmp.path, 'small', 'd.feat'), 'not a feature file');
    expect(await store.get('d')).toBeNull();
    expect((await readdir(join(tmp.path, 'small'))).includes('d.feat')).toBe(false);
    await expect(FeatureCache.open(join(tmp.path, 'x'), 0)).rejects.toMatchObject({ code: 'E_USAGE' });
  });
});
