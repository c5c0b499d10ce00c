import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { Rng } from '../../../src/pipeline/core/random.js';
import { TextureBank } from '../../../src/pipeline/synth/texture-bank.js';
import { sameBytes } from './fixtures.js';
import { useTempDir } from '../../helpers/temp-dir.js';

async function png(path: string, w: number, h: number, channels: 1 | 3, fill: (x: number, y: number, c: number) => number): Promise<void> {
  const buf = Buffer.alloc(w * h * channels);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) for (let c = 0; c < channels; c++) buf[(y * w + x) * channels + c] = fill(x, y, c);
  await sharp(buf, { raw: { width: w, height: h, channels } }).png().toFile(path);
}

describe('TextureBank', () => {
  const tmp = useTempDir('madenet-textures-');
  beforeAll(async () => {
    await mkdir(join(tmp.path, 'sub'));
    await png(join(tmp.path, 'b-red.png'), 40, 20, 3, (_x, _y, c) => (c === 0 ? 200 : 10));
    await png(join(tmp.path, 'a-grey.png'), 16, 16, 1, (x) => x * 16);
    await png(join(tmp.path, 'sub', 'c-checks.png'), 64, 64, 3, (x, y) => (((x >> 3) + (y >> 3)) & 1 ? 255 : 0));
    await writeFile(join(tmp.path, 'notes.txt'), 'not an image');
    await writeFile(join(tmp.path, 'broken.png'), Buffer.from('\x89PNG\r\n\x1a\nnot really'));
  });

  it('decodes every image under the folder at the working size, sorted, skipping broken files', async () => {
    const bank = await TextureBank.fromDir(tmp.path, 24);
    expect(bank.names()).toEqual(['a-grey.png', 'b-red.png', 'sub/c-checks.png']);
    expect(bank.skipped).toEqual(['broken.png']);
    expect(bank.size).toBe(24);
    expect(bank.bytes).toBe(3 * 24 * 24 * 3);
    const red = bank.get(1);
    expect(red.width).toBe(24);
    expect(red.data[0]).toBeCloseTo(200 / 255, 2);
    expect(red.data[2]).toBeCloseTo(10 / 255, 2);
    // Grey sources become RGB with equal channels.
    const grey = bank.get(0);
    expect(grey.data[3 * 100]).toBeCloseTo(grey.data[3 * 100 + 2]!, 5);
  });

  it('thins a large folder evenly to maxTextures', async () => {
    const bank = await TextureBank.fromDir(tmp.path, 8, { maxTextures: 2 });
    // Files 0 and 2 of a-grey, b-red, broken, sub/c-checks: the broken one is then skipped.
    expect(bank.names()).toEqual(['a-grey.png']);
    expect(bank.skipped).toEqual(['broken.png']);
  });

  it('picks reproducibly from a seed, and returns copies', async () => {
    const bank = await TextureBank.fromDir(tmp.path, 16);
    const a = Array.from({ length: 10 }, () => 0).map((_, i) => bank.pickDetailed(new Rng(i)).index);
    const b = Array.from({ length: 10 }, () => 0).map((_, i) => bank.pickDetailed(new Rng(i)).index);
    expect(a).toEqual(b);
    expect(new Set(a).size).toBeGreaterThan(1);
    const t = bank.get(2);
    t.data.fill(0);
    expect(bank.get(2).data.some((v) => v > 0)).toBe(true);
  });

  it('reports a missing or image-free folder with stable codes', async () => {
    await expect(TextureBank.fromDir(join(tmp.path, 'nope'), 16)).rejects.toMatchObject({ code: 'E_NOT_FOUND' });
    const empty = await mkdtemp(join(tmpdir(), 'madenet-textures-empty-'));
    await expect(TextureBank.fromDir(empty, 16)).rejects.toMatchObject({ code: 'E_NO_IMAGES' });
    await rm(empty, { recursive: true, force: true });
  });

  it('builds the procedural set deterministically, with distinct textures', () => {
    const a = TextureBank.procedural(32, 5);
    const b = TextureBank.procedural(32, 5);
    const c = TextureBank.procedural(32, 6);
    expect(a.count).toBe(27);
    expect(a.source).toBe('procedural:5');
    for (let i = 0; i < a.count; i++) expect(sameBytes(a.get(i).data, b.get(i).data)).toBe(true);
    expect(sameBytes(a.get(0).data, c.get(0).data)).toBe(false);
    for (let i = 0; i < a.count; i++) {
      const d = a.get(i).data;
      let lo = 1;
      let hi = 0;
      for (const v of d) {
        lo = Math.min(lo, v);
        hi = Math.max(hi, v);
      }
      // Every texture has some contrast: none is a flat colour.
      expect(hi - lo).toBeGreaterThan(0.05);
    }
  });
});
