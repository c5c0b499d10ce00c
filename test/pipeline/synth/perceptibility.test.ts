import { createImage } from '../../../src/pipeline/io/image.js';
import { isImperceptible, perceptibility } from '../../../src/pipeline/synth/perceptibility.js';
import { noiseImage } from './fixtures.js';

function stripes(w: number, h: number, period: number, shift = 0) {
  const img = createImage(w, h);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) img.data.fill((x + shift) % period < period / 2 ? 0.9 : 0.1, 3 * (y * w + x), 3 * (y * w + x) + 3);
  return img;
}

describe('perceptibility', () => {
  it('is (1, 0, 0) for identical regions and rejected by the gate', () => {
    const a = noiseImage(24, 24, 1);
    const p = perceptibility(a, a, { x: 4, y: 4, width: 10, height: 8 });
    expect(p.ssim).toBeCloseTo(1, 6);
    expect(p.mse).toBe(0);
    expect(p.edgeDiff).toBe(0);
    expect(isImperceptible(p)).toBe(true);
  });

  it('computes MSE over the region only', () => {
    const a = createImage(10, 10, 0.5);
    const b = createImage(10, 10, 0.5);
    // Region pixels differ by 0.1, pixels outside by 0.5: only the former count.
    for (let y = 0; y < 10; y++) for (let x = 0; x < 10; x++) b.data.fill(x < 5 ? 0.6 : 1, 3 * (y * 10 + x), 3 * (y * 10 + x) + 3);
    expect(perceptibility(a, b, { x: 0, y: 0, width: 4, height: 10 }).mse).toBeCloseTo(0.01, 6);
  });

  it('sees a stripe pattern shifted by one period as identical, by half a period as very different', () => {
    const a = stripes(32, 32, 8);
    const same = perceptibility(stripes(32, 32, 8, 8), a, { x: 8, y: 8, width: 16, height: 16 });
    expect(isImperceptible(same)).toBe(true);
    const half = perceptibility(stripes(32, 32, 8, 4), a, { x: 8, y: 8, width: 16, height: 16 });
    expect(half.ssim).toBeLessThan(0);
    expect(half.mse).toBeGreaterThan(0.5);
    // Edge intensity ignores polarity: inverted stripes have their edges in the same places.
    expect(half.edgeDiff).toBeCloseTo(0, 6);
    expect(isImperceptible(half)).toBe(false);
    const quarter = perceptibility(stripes(32, 32, 8, 2), a, { x: 8, y: 8, width: 16, height: 16 });
    expect(quarter.edgeDiff).toBeGreaterThan(0.1);
    expect(isImperceptible(quarter)).toBe(false);
  });

  it('accepts a mask as the region', () => {
    const a = createImage(8, 8, 0.2);
    const b = createImage(8, 8, 0.2);
    b.data.fill(0.7, 0, 3);
    const mask = { width: 8, height: 8, data: new Float32Array(64) };
    mask.data[0] = 1;
    expect(perceptibility(a, b, mask).mse).toBeCloseTo(0.25, 6);
    mask.data[0] = 0;
    mask.data[63] = 1;
    expect(perceptibility(a, b, mask).mse).toBe(0);
  });
});
