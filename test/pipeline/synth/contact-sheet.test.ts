import { createImage, createMask } from '../../../src/pipeline/io/image.js';
import { contactSheet, overlay } from '../../../src/pipeline/synth/contact-sheet.js';

describe('contactSheet', () => {
  it('lays out image | mask | overlay per sample with gaps', () => {
    const image = createImage(4, 3, 0.2);
    const mask = createMask(4, 3);
    mask.data[5] = 1;
    const sheet = contactSheet([{ image, mask }, { image, mask }, { image, mask }], { columns: 2, gap: 1 });
    // Two samples across: 2 * (3*4 + 2) + 3 gap pixels; two rows: 2*3 + 1.
    expect([sheet.width, sheet.height]).toEqual([31, 7]);
    const px = (x: number, y: number) => Array.from(sheet.data.subarray(3 * (y * 31 + x), 3 * (y * 31 + x) + 3));
    expect(px(0, 0)[0]).toBeCloseTo(0.2, 6);
    expect(px(4, 0)).toEqual([0.5, 0.5, 0.5]);
    // Mask tile starts at x = 5; mask pixel (1, 1) is white.
    expect(px(5 + 1, 1)).toEqual([1, 1, 1]);
    expect(px(5, 0)).toEqual([0, 0, 0]);
    // Overlay tile at x = 10: the lone mask pixel is an outline pixel, pure red.
    expect(px(10 + 1, 1)).toEqual([1, 0, 0]);
    // Third sample on the second row; the unused slot stays background.
    expect(px(0, 4)[0]).toBeCloseTo(0.2, 6);
    expect(px(20, 4)).toEqual([0.5, 0.5, 0.5]);
  });

  it('tints the inside of a mask and leaves other pixels alone', () => {
    const image = createImage(5, 5, 0.5);
    const mask = createMask(5, 5);
    for (let y = 1; y < 4; y++) for (let x = 1; x < 4; x++) mask.data[y * 5 + x] = 1;
    const o = overlay(image, mask);
    expect(Array.from(o.data.subarray(3 * 12, 3 * 12 + 3)).map((v) => +v.toFixed(3))).toEqual([0.7, 0.3, 0.3]);
    expect(Array.from(o.data.subarray(0, 3))).toEqual([0.5, 0.5, 0.5]);
    expect(() => contactSheet([])).toThrow(/no samples/);
  });
});
