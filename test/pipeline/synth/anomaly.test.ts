import { createImage, createMask } from '../../../src/pipeline/io/image.js';
import { Rng } from '../../../src/pipeline/core/random.js';
import { blendUnderMask, synthesizeAnomaly, synthesizeAnomalyFromSeed, type AnomalyKind } from '../../../src/pipeline/synth/anomaly.js';
import { foregroundMask } from '../../../src/pipeline/synth/foreground.js';
import { TextureBank } from '../../../src/pipeline/synth/texture-bank.js';
import { diskOnBoard, ones, outside, sameBytes } from './fixtures.js';

describe('synthesizeAnomaly', () => {
  const textures = TextureBank.procedural(32, 1, 9);
  const { image, disk } = diskOnBoard(48, { r: 14 });
  const foreground = foregroundMask(image);

  it('gives masks that are never empty and always inside the foreground, for every kind', () => {
    const rng = new Rng(11);
    for (const kind of ['texture', 'structural', 'mixed'] as AnomalyKind[]) {
      for (let i = 0; i < 25; i++) {
        const s = synthesizeAnomaly(image, rng, { kind, textures, foreground });
        expect(ones(s.mask)).toBeGreaterThan(0);
        expect(outside(s.mask, foreground)).toBe(0);
        expect(s.params.maskArea).toBe(ones(s.mask));
        expect(s.params.foreground).toBe('given');
      }
    }
    // The automatic foreground is the disk (plus a small margin), so defects stay on the object.
    expect(outside(foreground, disk)).toBeLessThan(0.25 * ones(disk));
  });

  it('changes pixels only under the mask, and changes them there', () => {
    for (let seed = 0; seed < 10; seed++) {
      const s = synthesizeAnomalyFromSeed(image, seed, { kind: 'texture', textures, foreground });
      let changedInside = 0;
      let changedOutside = 0;
      for (let i = 0; i < s.mask.data.length; i++) {
        const diff = Math.abs(s.image.data[3 * i]! - image.data[3 * i]!) + Math.abs(s.image.data[3 * i + 1]! - image.data[3 * i + 1]!);
        if (s.mask.data[i] === 0 && diff !== 0) changedOutside++;
        else if (diff > 1e-4) changedInside++;
      }
      expect(changedOutside).toBe(0);
      expect(changedInside).toBeGreaterThan(0);
      expect(s.params.beta).toBeGreaterThanOrEqual(0);
      expect(s.params.beta).toBeLessThan(0.8);
    }
  });

  it('reproduces the same bytes from the same seed, and from the recorded per-sample seed', () => {
    const a = synthesizeAnomaly(image, new Rng(5), { kind: 'mixed', textures, foreground });
    const b = synthesizeAnomaly(image, new Rng(5), { kind: 'mixed', textures, foreground });
    expect(sameBytes(a.image.data, b.image.data)).toBe(true);
    expect(sameBytes(a.mask.data, b.mask.data)).toBe(true);
    const again = synthesizeAnomalyFromSeed(image, a.params.seed, { kind: 'mixed', textures, foreground });
    expect(sameBytes(again.image.data, a.image.data)).toBe(true);
    expect(again.params).toEqual(a.params);
    expect(JSON.parse(JSON.stringify(a.params))).toEqual(a.params);
    const c = synthesizeAnomaly(image, new Rng(6), { kind: 'mixed', textures, foreground });
    expect(sameBytes(a.image.data, c.image.data)).toBe(false);
  });

  it('mixes texture and structural about equally and honours normalProbability', () => {
    const rng = new Rng(1);
    const small = diskOnBoard(16).image;
    const kinds = Array.from({ length: 200 }, () => synthesizeAnomaly(small, rng, { kind: 'mixed', textures, normalProbability: 0.25 }).params.kind);
    const count = (k: string): number => kinds.filter((x) => x === k).length;
    expect(count('normal')).toBeGreaterThan(30);
    expect(count('normal')).toBeLessThan(70);
    expect(Math.abs(count('texture') - count('structural'))).toBeLessThan(40);
    const normal = synthesizeAnomaly(image, rng, { kind: 'texture', textures, normalProbability: 1 });
    expect(normal.params.kind).toBe('normal');
    expect(ones(normal.mask)).toBe(0);
    expect(sameBytes(normal.image.data, image.data)).toBe(true);
  });

  it('ignores an empty foreground (and says so) rather than failing', () => {
    const s = synthesizeAnomaly(image, new Rng(2), { kind: 'structural', textures, foreground: createMask(48, 48) });
    expect(s.params.foreground).toBe('empty-ignored');
    expect(ones(s.mask)).toBeGreaterThan(0);
    expect(() => synthesizeAnomaly(image, new Rng(2), { kind: 'texture', textures, foreground: createMask(8, 8) })).toThrow(/foreground is 8x8/);
  });
});

describe('blendUnderMask', () => {
  it('follows DRAEM: img*(1-m) + (1-beta)*src*m + beta*img*m', () => {
    const img = createImage(2, 1, 0.2);
    const src = createImage(2, 1, 1);
    const mask = { width: 2, height: 1, data: Float32Array.from([0, 1]) };
    const out = blendUnderMask(img, src, mask, 0.25);
    expect(out.data[0]).toBeCloseTo(0.2, 6);
    expect(out.data[3]).toBeCloseTo(0.75 * 1 + 0.25 * 0.2, 6);
  });
});
