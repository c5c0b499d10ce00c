import { createImage } from '../../../src/pipeline/io/image.js';
import { foregroundMask, foregroundMaskDetailed, otsu, otsu3 } from '../../../src/pipeline/synth/foreground.js';
import { Rng } from '../../../src/pipeline/core/random.js';
import { diskOnBoard, noiseImage, ones } from './fixtures.js';

function iou(a: Float32Array, b: Float32Array): number {
  let inter = 0;
  let union = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i]! > 0.5;
    const y = b[i]! > 0.5;
    if (x && y) inter++;
    if (x || y) union++;
  }
  return inter / union;
}

describe('foregroundMask', () => {
  it('finds a dark object on a light board', () => {
    const { image, disk } = diskOnBoard(64);
    const r = foregroundMaskDetailed(image);
    expect(r.method).toBe('colour-distance');
    expect(iou(r.mask.data, disk.data)).toBeGreaterThan(0.85);
  });

  it('finds a light object on a dark background and an off-centre one', () => {
    const { image, disk } = diskOnBoard(64, { cx: 20, cy: 40, r: 12, seed: 4 });
    for (let i = 0; i < image.data.length; i++) image.data[i] = 1 - image.data[i]!;
    expect(iou(foregroundMask(image).data, disk.data)).toBeGreaterThan(0.8);
  });

  it('drops a thin stripe of the board that touches the border', () => {
    const { image, disk } = diskOnBoard(64, { r: 14 });
    for (let y = 0; y < 64; y++) for (let x = 2; x < 4; x++) image.data.set([0.1, 0.1, 0.1], 3 * (y * 64 + x));
    const m = foregroundMask(image);
    for (let y = 0; y < 64; y++) expect(m.data[y * 64 + 3]).toBe(0);
    expect(iou(m.data, disk.data)).toBeGreaterThan(0.8);
  });

  it('finds a dim body framed by bright terminals (three classes: board, body, pads)', () => {
    const size = 64;
    const rng = new Rng(3);
    const image = createImage(size, size);
    const body = (x: number, y: number): boolean => x >= 20 && x < 44 && y >= 20 && y < 44;
    const pad = (x: number, y: number): boolean =>
      ((x >= 14 && x < 20) || (x >= 44 && x < 50)) && y >= 22 && y < 42 && (y - 22) % 5 < 3;
    for (let y = 0; y < size; y++) {
      for (let x = 0; x < size; x++) {
        const c = pad(x, y) ? [0.85, 0.85, 0.8] : body(x, y) ? [0.1, 0.1, 0.1] : [0.1, 0.3, 0.18];
        for (let k = 0; k < 3; k++) image.data[3 * (y * size + x) + k] = c[k]! + rng.uniform(-0.02, 0.02);
      }
    }
    const m = foregroundMask(image);
    let covered = 0;
    let outsideCount = 0;
    for (let y = 0; y < size; y++) {
      for (let x = 0; x < size; x++) {
        const on = m.data[y * size + x]! > 0.5;
        if (body(x, y) && on) covered++;
        if (!body(x, y) && !pad(x, y) && on && (x < 12 || x > 52 || y < 16 || y > 48)) outsideCount++;
      }
    }
    expect(covered / (24 * 24)).toBeGreaterThan(0.95);
    expect(outsideCount).toBe(0);
  });

  it('does not take one blob of a repeating pattern for the object', () => {
    const image = createImage(64, 64, 0.2);
    for (let y = 0; y < 64; y++) for (let x = 0; x < 64; x++) if ((x % 16) - 8 >= -3 && (x % 16) - 8 < 3 && (y % 16) - 8 >= -3 && (y % 16) - 8 < 3) image.data.fill(0.9, 3 * (y * 64 + x), 3 * (y * 64 + x) + 3);
    const r = foregroundMaskDetailed(image);
    expect(r.method).toBe('full');
    expect(r.reason).toMatch(/texture/);
  });

  it('falls back to the whole image when there is no object (texture, flat)', () => {
    for (const image of [noiseImage(48, 48, 2), createImage(32, 32, 0.4)]) {
      const r = foregroundMaskDetailed(image);
      expect(r.method).toBe('full');
      expect(r.reason).toBeTruthy();
      expect(ones(r.mask)).toBe(image.width * image.height);
    }
  });
});

describe('otsu', () => {
  it('splits two clusters between them with high separability, one Gaussian-like blob with less', () => {
    const two = Float32Array.from([...Array(50).fill(0.1), ...Array(50).fill(0.9)]);
    const r = otsu(two);
    expect(r.threshold).toBeGreaterThan(0.1);
    expect(r.threshold).toBeLessThan(0.9);
    expect(r.separability).toBeGreaterThan(0.99);
    const tri = Float32Array.from(Array.from({ length: 1000 }, (_, i) => ((i * 7919) % 1000) / 1000 + ((i * 104729) % 1000) / 1000));
    expect(otsu(tri).separability).toBeLessThan(0.8);
  });

  it('splits three clusters into three classes', () => {
    const three = Float32Array.from([...Array(40).fill(0.1), ...Array(30).fill(0.4), ...Array(30).fill(0.9)]);
    const [t1, t2] = otsu3(three);
    expect(t1).toBeGreaterThan(0.1);
    expect(t1).toBeLessThan(0.4);
    expect(t2).toBeGreaterThan(0.4);
    expect(t2).toBeLessThan(0.9);
  });
});
