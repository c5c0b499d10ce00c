import { Rng } from '../../../src/pipeline/core/random.js';
import { applyAugment, augmentTexture, AUGMENT_NAMES } from '../../../src/pipeline/synth/augment.js';
import { noiseImage, sameBytes } from './fixtures.js';

describe('augmentTexture', () => {
  const img = noiseImage(16, 12, 3);

  it('keeps size and the [0,1] range for every operation, and changes the image', () => {
    for (const name of AUGMENT_NAMES) {
      for (let seed = 0; seed < 4; seed++) {
        const { image } = applyAugment(name, img, new Rng(seed));
        expect([image.width, image.height]).toEqual([16, 12]);
        expect(image.data.every((v) => v >= 0 && v <= 1)).toBe(true);
      }
      const changed = [0, 1, 2, 3].some((seed) => !sameBytes(applyAugment(name, img, new Rng(seed)).image.data, img.data));
      expect({ name, changed }).toEqual({ name, changed: true });
    }
  });

  it('inverts exactly and posterizes to few levels', () => {
    const inv = applyAugment('invert', img, new Rng(0)).image;
    expect(inv.data[5]).toBeCloseTo(1 - img.data[5]!, 6);
    const { image, values } = applyAugment('posterize', img, new Rng(1));
    const levels = new Set(Array.from(image.data, (v) => Math.round(v * 255)));
    expect(levels.size).toBeLessThanOrEqual(2 ** (values.bits as number));
  });

  it('draws three distinct operations in list order, reproducibly', () => {
    for (let seed = 0; seed < 20; seed++) {
      const a = augmentTexture(img, new Rng(seed));
      const b = augmentTexture(img, new Rng(seed));
      expect(sameBytes(a.image.data, b.image.data)).toBe(true);
      const idx = a.ops.map((o) => AUGMENT_NAMES.indexOf(o.name));
      expect(idx).toHaveLength(3);
      expect([...idx].sort((x, y) => x - y)).toEqual(idx);
      expect(new Set(idx).size).toBe(3);
    }
  });
});
