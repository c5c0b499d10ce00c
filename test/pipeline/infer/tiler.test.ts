// Tiled scoring: tile positions, stitched maps against the image itself (a brightness "detector" whose map is
// the input's channel mean), the score as the highest tile score, and infer --tile end to end.
import * as tf from '@tensorflow/tfjs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { decodeImage, writePng } from '../../../src/pipeline/io/decode.js';
import { createImage } from '../../../src/pipeline/io/image.js';
import { readNpy } from '../../../src/pipeline/io/npy.js';
import { scoreTiled, tileStarts } from '../../../src/pipeline/infer/tiler.js';
import { meanDiffDetector } from './fixtures.js';
import { makeInferWorld, readLines, runInfer, SIZE } from './infer-helpers.js';
import { useTempDir } from '../../helpers/temp-dir.js';
import { useBackend } from '../../helpers/backends.js';
import { expectNoLeakAsync } from '../../helpers/tensor-leaks.js';

describe('tileStarts', () => {
  it('steps by tile x (1 - overlap) and puts the last tile flush with the edge', () => {
    expect(tileStarts(96, 32, 0.5)).toEqual([0, 16, 32, 48, 64]);
    expect(tileStarts(100, 32, 0)).toEqual([0, 32, 64, 68]);
    expect(tileStarts(32, 32, 0.25)).toEqual([0]);
    expect(tileStarts(20, 32, 0.25)).toEqual([0]);
  });
});

describe('scoreTiled', () => {
  useBackend('cpu');
  const tmp = useTempDir('madenet-tiler-');

  /** An 80x48 grey gradient with one bright 2x2 spot at (70, 40). */
  async function writeScene(): Promise<string> {
    const img = createImage(80, 48);
    for (let y = 0; y < 48; y++) {
      for (let x = 0; x < 80; x++) {
        const v = 0.1 + (0.3 * x) / 80 + (0.1 * y) / 48;
        const spot = x >= 70 && x < 72 && y >= 40 && y < 42;
        for (let c = 0; c < 3; c++) img.data[(y * 80 + x) * 3 + c] = spot ? 1 : v;
      }
    }
    const file = join(tmp.path, 'scene.png');
    await writePng(file, img);
    return file;
  }

  it('stitches tile maps at source resolution (tile = model size) into exactly the image, overlaps averaged', async () => {
    const file = await writeScene();
    const image = await decodeImage(file);
    // A "detector" whose map is the channel mean of its input: the stitched map must be the image's brightness.
    const detector = meanDiffDetector('srad', 'scene', 16, new Float32Array(16 * 16 * 3), 'diff', null);
    const r = await expectNoLeakAsync(() => scoreTiled(detector, file, { tile: 16, overlap: 0.5, batchSize: 4 }));
    detector.dispose();
    expect([r.width, r.height, r.tiles]).toEqual([80, 48, tileStarts(80, 16, 0.5).length * tileStarts(48, 16, 0.5).length]);
    for (let i = 0; i < 80 * 48; i++) {
      const want = ((image.data[i * 3] as number) + (image.data[i * 3 + 1] as number) + (image.data[i * 3 + 2] as number)) / 3;
      expect(Math.abs((r.map[i] as number) - want)).toBeLessThan(1e-5);
    }
    // The score is the highest tile score: the spot's brightness.
    expect(r.score).toBeCloseTo(1, 5);
  });

  it('with a tile calibration, the image score is the highest standardised tile score', async () => {
    const file = await writeScene();
    const detector = meanDiffDetector('srad', 'scene', 16, new Float32Array(16 * 16 * 3), 'diff', null);
    const grid = tileStarts(48, 16, 0.5).flatMap((top) => tileStarts(80, 16, 0.5).map((left) => ({ left, top, width: 16, height: 16 })));
    const raw = await scoreTiled(detector, file, { tile: 16, overlap: 0.5, batchSize: 4 });
    // Every place but the spot's (bottom right) has normal level 0 and spread 1; the spot's place has level 0.9 and
    // spread 0.05, so its tile scores (1 - 0.9) / 0.05 = 2, and the brightest other tile (~0.5) wins only when raw.
    const spot = (t: { left: number; top: number }) => t.left >= 56 && t.top >= 32;
    const regions = grid.map((t) => ({ ...t, n: 4, mean: spot(t) ? 0.9 : 0, std: spot(t) ? 0.05 : 1 }));
    const cal = await scoreTiled(detector, file, { tile: 16, overlap: 0.5, batchSize: 4, calibration: { mean: 0, std: 1, prior: 0, regions } });
    detector.dispose();
    expect(raw.score).toBeCloseTo(1, 5);
    expect(cal.score).toBeCloseTo(2, 4);
    expect(cal.map).toEqual(raw.map);
  });

  it('with tiles larger than the model, maps come back at model resolution per tile and still find the spot', async () => {
    const file = join(tmp.path, 'scene.png');
    const detector = meanDiffDetector('srad', 'scene', 8, new Float32Array(8 * 8 * 3), 'diff', null);
    const r = await scoreTiled(detector, file, { tile: 32, overlap: 0.25, batchSize: 8 });
    detector.dispose();
    // 8 map pixels per 32 source pixels: 80x48 -> 20x12; the brightest map cell lies over the spot at (70, 40).
    expect([r.width, r.height]).toEqual([20, 12]);
    const at = r.map.indexOf(Math.max(...r.map));
    expect([at % 20, Math.floor(at / 20)]).toEqual([Math.floor(70 / 4), Math.floor(40 / 4)]);
  });
});

describe('infer --tile', () => {
  useBackend('cpu');
  const tmp = useTempDir('madenet-infer-tile-');

  it('writes one line per image with a stitched [H, W] map at the tiles\' model resolution, records the tiling, and refuses overlays', async () => {
    const w = await makeInferWorld(tmp.path);
    const out = join(tmp.path, 'out');
    await runInfer({ perfmap: w.sure, input: w.glob, out, saveMaps: true, tile: 16, tileOverlap: 0.5 });
    const lines = await readLines(out);
    expect(lines).toHaveLength(w.images);
    for (const l of lines) {
      const map = await readNpy(join(out, l.map as string));
      const source = await decodeImage(l.path);
      expect(map.shape).toEqual([Math.round((source.height * SIZE) / 16), Math.round((source.width * SIZE) / 16)]);
      expect(Number.isFinite(l.score)).toBe(true);
    }
    expect(JSON.parse(await readFile(join(out, 'infer.json'), 'utf8')).settings.tiling).toEqual({ tile: 16, overlap: 0.5 });
    await expect(runInfer({ perfmap: w.sure, input: w.glob, out: join(tmp.path, 'o2'), saveOverlays: true, tile: 16 })).rejects.toMatchObject({ code: 'E_USAGE' });
  });
});
