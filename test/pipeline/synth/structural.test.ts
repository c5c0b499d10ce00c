import { Rng } from '../../../src/pipeline/core/random.js';
import { recombine, structuralSource } from '../../../src/pipeline/synth/structural.js';
import { noiseImage, sameBytes } from './fixtures.js';

describe('structuralSource', () => {
  it('is the identity with the identity permutation and no transforms, even when cells are uneven', () => {
    const img = noiseImage(18, 13, 2);
    const out = recombine(img, { grid: 4, permutation: [...Array(16).keys()], transforms: Array(16).fill(0) });
    expect(sameBytes(out.data, img.data)).toBe(true);
  });

  it('moves a cell where the permutation says, mirrored and turned', () => {
    const img = noiseImage(8, 8, 4);
    const px = (im: typeof img, x: number, y: number): number => im.data[3 * (y * 8 + x)]!;
    // Cell 0 shows cell 3 (bottom right); cell 3 shows cell 0 mirrored.
    const out = recombine(img, { grid: 2, permutation: [3, 1, 2, 0], transforms: [0, 0, 0, 4] });
    expect(px(out, 0, 0)).toBe(px(img, 4, 4));
    expect(px(out, 4, 4)).toBe(px(img, 3, 0));
    // One quarter turn of a 4x4 cell: destination (x, y) takes source (y, 3 - x).
    const turned = recombine(img, { grid: 2, permutation: [0, 1, 2, 3], transforms: [1, 0, 0, 0] });
    expect(px(turned, 0, 0)).toBe(px(img, 0, 3));
    expect(px(turned, 3, 0)).toBe(px(img, 0, 0));
  });

  it('keeps the multiset of pixels when the grid divides the image, and is reproducible', () => {
    const img = noiseImage(32, 32, 5);
    const a = structuralSource(img, new Rng(7));
    const b = structuralSource(img, new Rng(7));
    expect(sameBytes(a.image.data, b.image.data)).toBe(true);
    expect(sameBytes(a.image.data, img.data)).toBe(false);
    expect(Float32Array.from(a.image.data).sort()).toEqual(Float32Array.from(img.data).sort());
    expect([2, 4, 8]).toContain(a.params.grid);
  });
});
