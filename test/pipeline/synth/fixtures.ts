// Tiny synthetic images for the synthesis tests: an object on a board, noise, stripes. No files.
import { createImage, createMask, type Mask, type RgbImage } from '../../../src/pipeline/io/image.js';
import { Rng } from '../../../src/pipeline/core/random.js';

/** A dark disk (radius r) on a light, slightly noisy board; returns the image and the true disk mask. */
export function diskOnBoard(size: number, opts: { r?: number; cx?: number; cy?: number; seed?: number } = {}): { image: RgbImage; disk: Mask } {
  const rng = new Rng(opts.seed ?? 1);
  const r = opts.r ?? size / 4;
  const cx = opts.cx ?? size / 2;
  const cy = opts.cy ?? size / 2;
  const image = createImage(size, size);
  const disk = createMask(size, size);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const inside = Math.hypot(x + 0.5 - cx, y + 0.5 - cy) <= r;
      const i = y * size + x;
      disk.data[i] = inside ? 1 : 0;
      const base = inside ? [0.15, 0.12, 0.1] : [0.8, 0.55, 0.4];
      for (let c = 0; c < 3; c++) image.data[3 * i + c] = base[c]! + rng.uniform(-0.03, 0.03);
    }
  }
  return { image, disk };
}

export function noiseImage(width: number, height: number, seed = 1): RgbImage {
  const rng = new Rng(seed);
  const img = createImage(width, height);
  for (let i = 0; i < img.data.length; i++) img.data[i] = rng.next();
  return img;
}

export function flatImage(width: number, height: number, value: number, noise = 0, seed = 1): RgbImage {
  const rng = new Rng(seed);
  const img = createImage(width, height);
  for (let i = 0; i < img.data.length; i++) img.data[i] = value + (noise > 0 ? rng.uniform(-noise, noise) : 0);
  return img;
}

export function ones(mask: Mask): number {
  let s = 0;
  for (const v of mask.data) if (v > 0.5) s++;
  return s;
}

export function outside(mask: Mask, region: Mask): number {
  let s = 0;
  for (let i = 0; i < mask.data.length; i++) if (mask.data[i]! > 0.5 && region.data[i]! <= 0.5) s++;
  return s;
}

export function sameBytes(a: Float32Array, b: Float32Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}
