// Small pixel operations the synthesis code shares: grey, blur, bilinear resampling, Sobel edges, clamping.
// Pure functions on RgbImage/Mask/Float32Array planes; no file access, no tensors.
import { type Mask, type RgbImage } from '../io/image.js';

/** A single-channel float plane, row-major; Mask has the same shape so masks pass for planes. */
export interface Plane {
  readonly width: number;
  readonly height: number;
  readonly data: Float32Array;
}

export function clamp01(v: number): number {
  return v < 0 ? 0 : v > 1 ? 1 : v;
}

export function cloneImage(img: RgbImage): RgbImage {
  return { width: img.width, height: img.height, data: new Float32Array(img.data) };
}

/** Rec. 601 luma. */
export function toGrey(img: RgbImage): Plane {
  const n = img.width * img.height;
  const out = new Float32Array(n);
  const d = img.data;
  for (let i = 0; i < n; i++) out[i] = 0.299 * d[3 * i] + 0.587 * d[3 * i + 1] + 0.114 * d[3 * i + 2];
  return { width: img.width, height: img.height, data: out };
}

/** Separable Gaussian blur with edge replication; sigma in pixels (sigma <= 0 copies). */
export function gaussianBlur(plane: Plane, sigma: number): Plane {
  const { width: w, height: h } = plane;
  if (sigma <= 0) return { width: w, height: h, data: new Float32Array(plane.data) };
  const r = Math.max(1, Math.ceil(3 * sigma));
  const k = new Float32Array(2 * r + 1);
  let ks = 0;
  for (let i = -r; i <= r; i++) ks += k[i + r] = Math.exp(-(i * i) / (2 * sigma * sigma));
  for (let i = 0; i < k.length; i++) k[i] /= ks;
  const tmp = new Float32Array(w * h);
  const out = new Float32Array(w * h);
  const src = plane.data;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      let s = 0;
      for (let i = -r; i <= r; i++) s += k[i + r] * src[y * w + clampInt(x + i, w)];
      tmp[y * w + x] = s;
    }
  }
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      let s = 0;
      for (let i = -r; i <= r; i++) s += k[i + r] * tmp[clampInt(y + i, h) * w + x];
      out[y * w + x] = s;
    }
  }
  return { width: w, height: h, data: out };
}

/** Sobel gradient magnitude of a plane, edge-replicated, scaled so a unit step gives about 1. */
export function sobelMagnitude(plane: Plane): Plane {
  const { width: w, height: h, data: p } = plane;
  const out = new Float32Array(w * h);
  for (let y = 0; y < h; y++) {
    const y0 = clampInt(y - 1, h) * w;
    const y1 = y * w;
    const y2 = clampInt(y + 1, h) * w;
    for (let x = 0; x < w; x++) {
      const x0 = clampInt(x - 1, w);
      const x2 = clampInt(x + 1, w);
      const gx = p[y0 + x2] + 2 * p[y1 + x2] + p[y2 + x2] - p[y0 + x0] - 2 * p[y1 + x0] - p[y2 + x0];
      const gy = p[y2 + x0] + 2 * p[y2 + x] + p[y2 + x2] - p[y0 + x0] - 2 * p[y0 + x] - p[y0 + x2];
      out[y1 + x] = Math.sqrt(gx * gx + gy * gy) / 4;
    }
  }
  return { width: w, height: h, data: out };
}

/** Bilinear resize of an RGB image (align-corners off, like most image libraries). */
export function resizeImage(img: RgbImage, width: number, height: number): RgbImage {
  if (img.width === width && img.height === height) return cloneImage(img);
  const out = new Float32Array(width * height * 3);
  const sx = img.width / width;
  const sy = img.height / height;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      sampleBilinearRgb(img, (x + 0.5) * sx - 0.5, (y + 0.5) * sy - 0.5, out, 3 * (y * width + x), 'clamp');
    }
  }
  return { width, height, data: out };
}

/** Nearest-neighbour resize of a mask (keeps it binary). */
export function resizeMask(mask: Mask, width: number, height: number): Mask {
  if (mask.width === width && mask.height === height) return { width, height, data: new Float32Array(mask.data) };
  const out = new Float32Array(width * height);
  for (let y = 0; y < height; y++) {
    const sy = Math.min(mask.height - 1, Math.floor(((y + 0.5) * mask.height) / height));
    for (let x = 0; x < width; x++) {
      const sx = Math.min(mask.width - 1, Math.floor(((x + 0.5) * mask.width) / width));
      out[y * width + x] = mask.data[sy * mask.width + sx];
    }
  }
  return { width, height, data: out };
}

export type BorderMode = 'clamp' | 'reflect' | 'wrap';

/** Writes the bilinear RGB sample at continuous (x, y) into out[o..o+2]. */
export function sampleBilinearRgb(img: RgbImage, x: number, y: number, out: Float32Array, o: number, border: BorderMode): void {
  const { width: w, height: h, data: d } = img;
  const x0f = Math.floor(x);
  const y0f = Math.floor(y);
  const fx = x - x0f;
  const fy = y - y0f;
  const xa = borderIndex(x0f, w, border);
  const xb = borderIndex(x0f + 1, w, border);
  const ya = borderIndex(y0f, h, border) * w;
  const yb = borderIndex(y0f + 1, h, border) * w;
  const w00 = (1 - fx) * (1 - fy);
  const w10 = fx * (1 - fy);
  const w01 = (1 - fx) * fy;
  const w11 = fx * fy;
  for (let c = 0; c < 3; c++) {
    out[o + c] =
      w00 * d[3 * (ya + xa) + c] + w10 * d[3 * (ya + xb) + c] + w01 * d[3 * (yb + xa) + c] + w11 * d[3 * (yb + xb) + c];
  }
}

export function borderIndex(i: number, n: number, mode: BorderMode): number {
  if (i >= 0 && i < n) return i;
  if (mode === 'clamp' || n === 1) return i < 0 ? 0 : n - 1;
  if (mode === 'wrap') return ((i % n) + n) % n;
  const period = 2 * n - 2;
  let j = ((i % period) + period) % period;
  if (j >= n) j = period - j;
  return j;
}

/** Rotates (and scales/translates) an image about its centre; `border` decides what fills the corners. */
export function affineImage(
  img: RgbImage,
  t: { angleDeg: number; scale?: number; tx?: number; ty?: number },
  border: BorderMode = 'reflect',
): RgbImage {
  const { width: w, height: h } = img;
  const out = new Float32Array(w * h * 3);
  const a = (t.angleDeg * Math.PI) / 180;
  const s = t.scale ?? 1;
  const cos = Math.cos(a) / s;
  const sin = Math.sin(a) / s;
  const cx = (w - 1) / 2;
  const cy = (h - 1) / 2;
  const tx = t.tx ?? 0;
  const ty = t.ty ?? 0;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      // Inverse map: destination pixel -> source position.
      const dx = x - cx - tx;
      const dy = y - cy - ty;
      sampleBilinearRgb(img, cos * dx + sin * dy + cx, -sin * dx + cos * dy + cy, out, 3 * (y * w + x), border);
    }
  }
  return { width: w, height: h, data: out };
}

function clampInt(i: number, n: number): number {
  return i < 0 ? 0 : i >= n ? n - 1 : i;
}
