import { Rng } from '../../../src/pipeline/core/random.js';
import { cutPaste, cutPasteFromSeed } from '../../../src/pipeline/synth/cutpaste.js';
import { flatImage, noiseImage, ones, sameBytes } from './fixtures.js';

describe('cutPaste', () => {
  it('pastes a rectangle of 5-20% of the image, elsewhere, that differs from what it covers', () => {
    for (const [w, h] of [[16, 16], [32, 24], [40, 64]] as const) {
      const img = noiseImage(w, h, w + h);
      const rng = new Rng(w * h);
      for (let i = 0; i < 50; i++) {
        const r = cutPaste(img, rng);
        const area = ones(r.mask);
        expect(area / (w * h)).toBeGreaterThanOrEqual(0.05);
        expect(area / (w * h)).toBeLessThanOrEqual(0.2);
        expect(r.params.areaFraction).toBeCloseTo(area / (w * h), 10);
        const { source, target } = r.params;
        expect(source.width * source.height).toBe(area);
        expect(target.width === source.width && target.x === source.x && target.y === source.y).toBe(false);
        // The pasted pixels are not a copy of the pixels they replaced.
        let differ = 0;
        let changedOutside = 0;
        for (let k = 0; k < r.mask.data.length; k++) {
          const changed = r.image.data[3 * k] !== img.data[3 * k];
          if (r.mask.data[k] === 1 && changed) differ++;
          if (r.mask.data[k] === 0 && changed) changedOutside++;
        }
        expect(differ).toBeGreaterThan(area / 2);
        expect(changedOutside).toBe(0);
      }
    }
  });

  it('keeps the aspect ratio inside [0.3, 3.3] and reproduces bytes from a seed', () => {
    const img = noiseImage(64, 64, 3);
    for (let seed = 0; seed < 30; seed++) {
      const a = cutPasteFromSeed(img, seed);
      const ratio = a.params.source.width / a.params.source.height;
      expect(ratio).toBeGreaterThan(0.25);
      expect(ratio).toBeLessThan(4);
      const b = cutPasteFromSeed(img, seed);
      expect(sameBytes(a.image.data, b.image.data)).toBe(true);
      expect(a.params).toEqual(b.params);
    }
    expect(sameBytes(cutPasteFromSeed(img, 1).image.data, cutPasteFromSeed(img, 2).image.data)).toBe(false);
  });

  it('draws thin rotated scars that are never empty', () => {
    const img = noiseImage(64, 64, 8);
    for (let seed = 0; seed < 30; seed++) {
      const r = cutPasteFromSeed(img, seed, { variant: 'scar' });
      const area = ones(r.mask);
      expect(area).toBeGreaterThan(0);
      expect(area / (64 * 64)).toBeLessThan(0.05);
      expect(Math.abs(r.params.angleDeg)).toBeLessThanOrEqual(45);
      expect(r.params.variant).toBe('scar');
    }
  });

  it('rejects patches pasted onto an identical-looking region and reports the rejections', () => {
    // A flat board: every paste without colour jitter covers pixels that look the same.
    const img = flatImage(32, 32, 0.5, 0.004);
    const r = cutPaste(img, new Rng(1), { jitter: 0, gate: { maxTries: 5 } });
    expect(r.rejections).toBe(5);
    expect(r.params.accepted).toBe(false);
    expect(r.params.tries).toBe(5);
    const off = cutPaste(img, new Rng(1), { jitter: 0, gate: false });
    expect(off.rejections).toBe(0);
    expect(off.params.accepted).toBe(true);
    // On a varied image the first draw usually passes.
    const noisy = noiseImage(32, 32, 1);
    const rng = new Rng(2);
    let rejected = 0;
    for (let i = 0; i < 20; i++) rejected += cutPaste(noisy, rng).rejections;
    expect(rejected).toBeLessThan(5);
  });
});
