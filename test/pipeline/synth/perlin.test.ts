import { createMask } from '../../../src/pipeline/io/image.js';
import { Rng } from '../../../src/pipeline/core/random.js';
import { perlinMask, perlinMaskDetailed, perlinNoise } from '../../../src/pipeline/synth/perlin.js';
import { ones, outside, sameBytes } from './fixtures.js';

describe('perlinMask', () => {
  it('is never empty, over many seeds and sizes', () => {
    for (const [w, h] of [[16, 16], [32, 24], [64, 64]] as const) {
      for (let seed = 0; seed < 30; seed++) {
        const m = perlinMask(w, h, new Rng(seed));
        expect(ones(m)).toBeGreaterThan(0);
        expect(m.data.every((v) => v === 0 || v === 1)).toBe(true);
      }
    }
  });

  it('stays inside the given region, even a tiny one', () => {
    const region = createMask(32, 32);
    for (let y = 20; y < 26; y++) for (let x = 4; x < 12; x++) region.data[y * 32 + x] = 1;
    const dot = createMask(32, 32);
    dot.data[5 * 32 + 7] = 1;
    for (let seed = 0; seed < 30; seed++) {
      for (const within of seed < 10 ? [region, dot] : [region]) {
        const m = perlinMask(32, 32, new Rng(seed), { within });
        expect(ones(m)).toBeGreaterThan(0);
        expect(outside(m, within)).toBe(0);
      }
    }
  });

  it('gives the same bytes for the same seed and different masks for other seeds', () => {
    const a = perlinMask(48, 40, new Rng(9));
    const b = perlinMask(48, 40, new Rng(9));
    const c = perlinMask(48, 40, new Rng(10));
    expect(sameBytes(a.data, b.data)).toBe(true);
    expect(sameBytes(a.data, c.data)).toBe(false);
  });

  it('renormalises when no draw passes the threshold, keeping the top minArea pixels', () => {
    const { mask, params } = perlinMaskDetailed(32, 32, new Rng(3), { threshold: 10, maxTries: 3, minAreaFraction: 0.05 });
    expect(params.renormalised).toBe(true);
    expect(params.tries).toBe(3);
    expect(ones(mask)).toBeGreaterThanOrEqual(Math.ceil(0.05 * 32 * 32));
    expect(ones(mask)).toBeLessThan(0.2 * 32 * 32);
  });

  it('records scales inside the allowed exponents (capped at 4 px per base cell)', () => {
    for (let seed = 0; seed < 40; seed++) {
      const { params } = perlinMaskDetailed(64, 64, new Rng(seed));
      expect(params.scaleExpX).toBeGreaterThanOrEqual(0);
      expect(params.scaleExpX).toBeLessThanOrEqual(4);
      expect(params.scaleExpY).toBeLessThanOrEqual(4);
      expect(Math.abs(params.angleDeg)).toBeLessThanOrEqual(90);
      expect(params.area).toBe(ones(perlinMaskDetailed(64, 64, new Rng(seed)).mask));
    }
  });

  it('rejects a region of another size and an empty region', () => {
    expect(() => perlinMask(16, 16, new Rng(1), { within: createMask(8, 8) })).toThrow(/region is 8x8/);
    expect(() => perlinMask(16, 16, new Rng(1), { within: createMask(16, 16) })).toThrow(/empty/);
  });
});

describe('perlinNoise', () => {
  it('spans about [-1, 1] for one octave and varies smoothly at coarse scale', () => {
    const n = perlinNoise(64, 64, new Rng(2), { scaleX: 4, scaleY: 4, angleDeg: 0, octaves: 1 });
    let lo = Infinity;
    let hi = -Infinity;
    let maxStep = 0;
    for (let y = 0; y < 64; y++) {
      for (let x = 0; x < 64; x++) {
        const v = n[y * 64 + x]!;
        lo = Math.min(lo, v);
        hi = Math.max(hi, v);
        if (x > 0) maxStep = Math.max(maxStep, Math.abs(v - n[y * 64 + x - 1]!));
      }
    }
    expect(lo).toBeGreaterThan(-1.01);
    expect(hi).toBeLessThan(1.01);
    expect(hi - lo).toBeGreaterThan(0.5);
    // 16 px per cell: neighbouring pixels differ by a small fraction of the range.
    expect(maxStep).toBeLessThan(0.2);
  });
});
