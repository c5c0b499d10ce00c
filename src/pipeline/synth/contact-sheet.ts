// A contact sheet for people to judge synthetic defects: one row per sample, image | mask | overlay,
// several samples side by side. Pure: builds an RgbImage; writing it to PNG is the caller's business.
import { type Mask, type RgbImage } from '../io/image.js';

export interface ContactSheetOptions {
  /** Samples per sheet row (default 2, i.e. six tiles across). */
  columns?: number;
  /** Pixels between tiles (default 4). */
  gap?: number;
  /** Gap colour (default mid grey). */
  background?: readonly [number, number, number];
}

/** Lays out every sample at the size of the first one (all samples must share that size). */
export function contactSheet(samples: readonly { image: RgbImage; mask: Mask }[], opts: ContactSheetOptions = {}): RgbImage {
  if (samples.length === 0) throw new RangeError('contactSheet: no samples');
  const first = samples[0]!;
  const tw = first.image.width;
  const th = first.image.height;
  const gap = opts.gap ?? 4;
  const columns = Math.max(1, Math.min(opts.columns ?? 2, samples.length));
  const rows = Math.ceil(samples.length / columns);
  const width = columns * (3 * tw + 2 * gap) + (columns - 1) * 3 * gap;
  const height = rows * th + (rows - 1) * gap;
  const bg = opts.background ?? [0.5, 0.5, 0.5];
  const data = new Float32Array(width * height * 3);
  for (let i = 0; i < width * height; i++) data.set(bg, 3 * i);
  const sheet = { width, height, data };
  samples.forEach((s, k) => {
    if (s.image.width !== tw || s.image.height !== th || s.mask.width !== tw || s.mask.height !== th) {
      throw new RangeError(`contactSheet: sample ${k} is not ${tw}x${th}`);
    }
    const x0 = (k % columns) * (3 * tw + 5 * gap);
    const y0 = Math.floor(k / columns) * (th + gap);
    blit(sheet, s.image, x0, y0);
    blit(sheet, maskAsImage(s.mask), x0 + tw + gap, y0);
    blit(sheet, overlay(s.image, s.mask), x0 + 2 * (tw + gap), y0);
  });
  return sheet;
}

/** The image with defect pixels tinted red and the mask outline drawn in pure red. */
export function overlay(img: RgbImage, mask: Mask): RgbImage {
  const { width: w, height: h } = img;
  const data = new Float32Array(img.data);
  const on = (x: number, y: number): boolean => x >= 0 && y >= 0 && x < w && y < h && (mask.data[y * w + x] as number) > 0.5;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      if (!on(x, y)) continue;
      const o = 3 * (y * w + x);
      const edge = !on(x - 1, y) || !on(x + 1, y) || !on(x, y - 1) || !on(x, y + 1);
      if (edge) data.set([1, 0, 0], o);
      else data.set([0.6 * (data[o] as number) + 0.4, 0.6 * (data[o + 1] as number), 0.6 * (data[o + 2] as number)], o);
    }
  }
  return { width: w, height: h, data };
}

function maskAsImage(mask: Mask): RgbImage {
  const data = new Float32Array(mask.data.length * 3);
  for (let i = 0; i < mask.data.length; i++) data.fill(mask.data[i] as number, 3 * i, 3 * i + 3);
  return { width: mask.width, height: mask.height, data };
}

function blit(dst: RgbImage, src: RgbImage, x0: number, y0: number): void {
  for (let y = 0; y < src.height; y++) {
    const s = 3 * y * src.width;
    dst.data.set(src.data.subarray(s, s + 3 * src.width), 3 * ((y0 + y) * dst.width + x0));
  }
}
