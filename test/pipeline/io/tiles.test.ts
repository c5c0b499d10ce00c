// Tiles for small defects on large images: the grid covers every pixel with the asked overlap, a tile decodes
// exactly its crop of the image, the tile stream is deterministic for a seed (sorted, bounded per image, defect
// tiles only where the mask shows the defect), hold-outs keep an image's tiles together, the stitched map of a
// constant map is that constant, and the tensor bytes in flight do not grow with the image.
import * as tf from '@tensorflow/tfjs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Detector } from '../../../src/pipeline/detectors/detector.js';
import { scoreTiled } from '../../../src/pipeline/infer/tiler.js';
import type { Sample } from '../../../src/pipeline/io/dataset.js';
import { decodeImage, decodeImageWithSize, writePng } from '../../../src/pipeline/io/decode.js';
import { createImage, type Mask } from '../../../src/pipeline/io/image.js';
import { streamSamples } from '../../../src/pipeline/io/sample-stream.js';
import { compareSamples, emptyTilingCounts, sampleKey, tileDataset, tileGrid, tileSamples, tileStarts } from '../../../src/pipeline/io/tiles.js';
import { initRuntime } from '../../../src/pipeline/runtime/backend.js';
import { Rng } from '../../../src/pipeline/core/random.js';
import { holdOut } from '../../../src/pipeline/train/data.js';

describe('tileGrid', () => {
  it.each([
    [96, 64, 32, 0.25],
    [100, 37, 16, 0.5],
    [33, 33, 32, 0],
    [20, 50, 32, 0.25],
  ])('covers every pixel of %ix%i with tiles of %i inside the image, neighbours sharing >= floor(tile x %f)', (w, h, tile, overlap) => {
    const grid = tileGrid(w, h, tile, overlap);
    const cover = new Uint8Array(w * h);
    for (const t of grid) {
      expect(t.left).toBeGreaterThanOrEqual(0);
      expect(t.top).toBeGreaterThanOrEqual(0);
      expect(t.left + t.width).toBeLessThanOrEqual(w);
      expect(t.top + t.height).toBeLessThanOrEqual(h);
      expect([t.width, t.height]).toEqual([Math.min(tile, w), Math.min(tile, h)]);
      for (let y = t.top; y < t.top + t.height; y++) for (let x = t.left; x < t.left + t.width; x++) cover[y * w + x] = 1;
    }
    expect(cover.every((v) => v === 1)).toBe(true);
    for (const [length, side] of [[w, Math.min(tile, w)], [h, Math.min(tile, h)]] as const) {
      const starts = tileStarts(length, side, overlap);
      expect(starts[0]).toBe(0);
      expect((starts.at(-1) as number) + side).toBe(Math.max(length, side));
      for (let i = 1; i < starts.length; i++) expect(side - ((starts[i] as number) - (starts[i - 1] as number))).toBeGreaterThanOrEqual(Math.floor(side * overlap));
    }
    // Row-major, as the stitcher and the sorted tile stream expect.
    expect([...grid].sort((a, b) => a.top - b.top || a.left - b.left)).toEqual(grid);
  });
});

describe('tile samples', () => {
  let dir: string;
  const sample = (path: string, label: 0 | 1 = 0, maskPath: string | null = null): Sample => ({ path, category: 'c', split: 'train', label, defectType: label ? 'spot' : 'good', maskPath });

  beforeAll(async () => {
    await initRuntime({ backend: 'cpu', threads: 1 });
    dir = await mkdtemp(join(tmpdir(), 'madenet-tiles-'));
    const rng = new Rng(3);
    for (const [name, w, h] of [['a', 64, 48], ['b', 64, 64], ['c', 40, 40]] as const) {
      const img = createImage(w, h);
      for (let i = 0; i < img.data.length; i++) img.data[i] = rng.next();
      await writePng(join(dir, `${name}.png`), img);
    }
    // A defect image whose 4x4 defect lies in its top-left corner only.
    const mask: Mask = { width: 64, height: 64, data: new Float32Array(64 * 64) };
    for (let y = 2; y < 6; y++) for (let x = 2; x < 6; x++) mask.data[y * 64 + x] = 1;
    await writePng(join(dir, 'd_mask.png'), { width: 64, height: 64, data: Float32Array.from({ length: 64 * 64 * 3 }, (_, i) => mask.data[Math.floor(i / 3)] as number) });
  });
  afterAll(async () => rm(dir, { recursive: true, force: true }));

  it('decodes a tile as exactly its crop of the whole image', async () => {
    const whole = await decodeImage(join(dir, 'a.png'));
    const region = { left: 24, top: 8, width: 16, height: 32 };
    const tile = await decodeImageWithSize(join(dir, 'a.png'), { region });
    expect([tile.image.width, tile.image.height, tile.sourceWidth, tile.sourceHeight]).toEqual([16, 32, 64, 48]);
    for (let y = 0; y < 32; y++) {
      for (let x = 0; x < 16 * 3; x++) expect(tile.image.data[y * 48 + x]).toBe(whole.data[((y + 8) * 64 + 24) * 3 + x]);
    }
  });

  it('is deterministic for a seed, sorted, bounded per image, and another seed picks other tiles', async () => {
    const samples = ['b', 'a', 'c'].map((n) => sample(join(dir, `${n}.png`)));
    const spec = { tile: 16, overlap: 0.25, maxTilesPerImage: 5 };
    const counts = emptyTilingCounts();
    const one = await tileSamples(samples, spec, 7, counts);
    const two = await tileSamples(samples, spec, 7);
    expect(two).toEqual(one);
    expect([...one].sort(compareSamples)).toEqual(one);
    expect(new Set(one.map(sampleKey)).size).toBe(one.length);
    // Every image has more than 5 tiles of 16 px: 5 each.
    expect(counts).toMatchObject({ images: 3, tiles: 15 });
    for (const n of ['a', 'b', 'c']) expect(one.filter((s) => s.path.endsWith(`${n}.png`))).toHaveLength(5);
    const other = await tileSamples(samples, spec, 8);
    expect(other.map(sampleKey)).not.toEqual(one.map(sampleKey));
    // Unbounded: the whole grid of each image.
    const all = await tileSamples(samples, { tile: 16, overlap: 0.25, maxTilesPerImage: 1000 }, 7);
    expect(all.filter((s) => s.path.endsWith('a.png')).map((s) => s.region)).toEqual(tileGrid(64, 48, 16, 0.25));
  });

  it('keeps only the defect tiles that show the defect, and leaves out defect images without a mask', async () => {
    const counts = emptyTilingCounts();
    const tiles = await tileSamples([sample(join(dir, 'b.png'), 1, join(dir, 'd_mask.png')), sample(join(dir, 'c.png'), 1, null)], { tile: 32, overlap: 0, maxTilesPerImage: 64 }, 0, counts);
    expect(tiles.map((s) => s.region)).toEqual([{ left: 0, top: 0, width: 32, height: 32 }]);
    expect(counts).toEqual({ images: 1, tiles: 1, droppedUnmaskedDefects: 1, cleanDefectTiles: 3 });
    // Its decoded mask is the tile's part of the mask.
    const [d] = await collect(streamSamples(tiles, { withMasks: true }));
    expect([d?.image.width, d?.mask?.width, d?.mask?.data.reduce((s, v) => s + v, 0)]).toEqual([32, 32, 16]);
  });

  it('hold-outs keep the tiles of one image together, and whole images split as before', async () => {
    const paths = Array.from({ length: 10 }, (_, i) => join(dir, `img${i}.png`));
    const whole = paths.map((p) => sample(p));
    const split = holdOut(whole, 0.3, 5);
    // The split of whole images is the one before tiles existed: a seeded shuffle of the path-sorted samples.
    const order = new Rng(5 ^ 0x5a17).shuffle([...whole].sort((a, b) => (a.path < b.path ? -1 : 1)));
    expect(split.validation.map((s) => s.path)).toEqual(order.slice(0, 3).map((s) => s.path).sort());
    const tiled = paths.flatMap((p) => [0, 16, 32].map((left) => ({ ...sample(p), region: { left, top: 0, width: 16, height: 16 } })));
    const t = holdOut(tiled, 0.3, 5);
    expect(new Set(t.validation.map((s) => s.path))).toEqual(new Set(split.validation.map((s) => s.path)));
    expect(t.validation).toHaveLength(9);
    expect(t.train.some((s) => t.validation.some((v) => v.path === s.path))).toBe(false);
  });

  it('tileDataset tiles the train split of one category only', async () => {
    const test: Sample = { ...sample(join(dir, 'a.png')), split: 'test' };
    const other: Sample = { ...sample(join(dir, 'a.png')), category: 'other' };
    const out = await tileDataset({ samples: [sample(join(dir, 'c.png')), test, other] }, 'c', { tile: 32, overlap: 0.5 }, 0);
    expect(out.samples.filter((s) => s.region)).toHaveLength(tileGrid(40, 40, 32, 0.5).length);
    expect(out.samples).toEqual(expect.arrayContaining([test, other]));
    expect(out.tiling).toMatchObject({ images: 1, tiles: 4 });
    expect((await tileDataset({ samples: [test] }, 'c', null, 0)).tiling).toBeNull();
  });

  /** A detector whose map is the constant `value` and whose score is its input's mean; records the tensor bytes alive in each call. */
  function constantDetector(size: number, value: number, alive: number[]): Detector {
    return {
      kind: 'srad',
      category: 'c',
      imageSize: size,
      artifactDir: null,
      predict(images: tf.Tensor4D) {
        alive.push(tf.memory().numBytes);
        const n = images.shape[0];
        return { scores: images.mean([1, 2, 3]) as tf.Tensor1D, maps: tf.fill([n, size, size], value) as tf.Tensor3D };
      },
      dispose() {},
    };
  }

  it('stitches a constant map into that constant (identity), and the tensor bytes in flight do not grow with the image', async () => {
    const peaks: number[] = [];
    for (const [name, w, h] of [['small', 48, 40], ['large', 160, 144]] as const) {
      const img = createImage(w, h);
      img.data.fill(0.5);
      const file = join(dir, `${name}.png`);
      await writePng(file, img);
      const alive: number[] = [];
      const before = tf.memory().numTensors;
      const bytes = tf.memory().numBytes;
      const r = await scoreTiled(constantDetector(16, 0.375, alive), file, { tile: 16, overlap: 0.25, batchSize: 4 });
      expect(tf.memory().numTensors).toBe(before);
      expect([r.width, r.height]).toEqual([w, h]);
      expect(r.map.every((v) => v === 0.375)).toBe(true);
      expect(r.tiles).toBe(tileGrid(w, h, 16, 0.25).length);
      peaks.push(Math.max(...alive) - bytes);
    }
    // Many more tiles in the large image, the same tensor bytes alive at the peak: one batch of tiles, never the image.
    expect(peaks[1]).toBe(peaks[0]);
    expect(peaks[0]).toBe(4 * 16 * 16 * 3 * 4);
  });
});

async function collect<T>(source: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of source) out.push(x);
  return out;
}
