// How visible a pasted patch is against what it covers: windowed SSIM (grey), MSE (RGB) and the mean
// per-pixel difference of Sobel edge intensity, all inside a region. Pure; used by the CutPaste gate.
import { type Mask, type RgbImage } from '../io/image.js';
import { sobelMagnitude, type Plane } from './image-ops.js';

export interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface Perceptibility {
  /** Mean SSIM over the region's pixels (1 = identical structure). */
  ssim: number;
  /** Mean squared RGB difference over the region (values in [0,1]). */
  mse: number;
  /** Mean |edge(a) - edge(b)| over the region, Sobel magnitude scaled so a unit step is about 1. */
  edgeDiff: number;
}

export interface GateOptions {
  /** Patches whose SSIM with the covered region exceeds this are too similar (default 0.9). */
  maxSsim?: number;
  /** ... and patches with both MSE and edge difference below these are too faint (defaults 0.002, 0.03). */
  minMse?: number;
  minEdgeDiff?: number;
  /** Draws before giving up and keeping the most visible one (default 10). */
  maxTries?: number;
}

export const DEFAULT_GATE: Required<GateOptions> = { maxSsim: 0.9, minMse: 0.002, minEdgeDiff: 0.03, maxTries: 10 };

/** True when the gate rejects: too similar in structure, or neither brighter/darker nor differently edged. */
export function isImperceptible(p: Perceptibility, gate: GateOptions = {}): boolean {
  const g = { ...DEFAULT_GATE, ...gate };
  return p.ssim > g.maxSsim || (p.mse < g.minMse && p.edgeDiff < g.minEdgeDiff);
}

/** Compares image `a` (e.g. after pasting) with `b` (before) inside `region` (a rectangle or a mask). */
export function perceptibility(a: RgbImage, b: RgbImage, region: Rect | Mask): Perceptibility {
  if (a.width !== b.width || a.height !== b.height) {
    throw new RangeError(`perceptibility: images differ in size (${a.width}x${a.height} vs ${b.width}x${b.height})`);
  }
  const inRegion = regionTest(region, a.width);
  const box = boundingBox(region, a.width, a.height);
  if (box.width <= 0 || box.height <= 0) return { ssim: 1, mse: 0, edgeDiff: 0 };
  // Three pixels of context so Sobel and SSIM windows at the region edge see real neighbours.
  const crop = expand(box, 3, a.width, a.height);
  const ga = greyCrop(a, crop);
  const gb = greyCrop(b, crop);
  const ssimMap = ssimAt(ga, gb, 3);
  const ea = sobelMagnitude(ga);
  const eb = sobelMagnitude(gb);
  let n = 0;
  let ssim = 0;
  let se = 0;
  let edge = 0;
  for (let y = box.y; y < box.y + box.height; y++) {
    for (let x = box.x; x < box.x + box.width; x++) {
      const i = y * a.width + x;
      if (!inRegion(i)) continue;
      const ci = (y - crop.y) * crop.width + (x - crop.x);
      n++;
      ssim += ssimMap[ci] as number;
      edge += Math.abs((ea.data[ci] as number) - (eb.data[ci] as number));
      for (let c = 0; c < 3; c++) {
        const d = (a.data[3 * i + c] as number) - (b.data[3 * i + c] as number);
        se += d * d;
      }
    }
  }
  if (n === 0) return { ssim: 1, mse: 0, edgeDiff: 0 };
  return { ssim: ssim / n, mse: se / (3 * n), edgeDiff: edge / n };
}

/** SSIM map with a (2r+1)^2 uniform window clipped to the plane (constants of Wang et al. for range 1). */
function ssimAt(a: Plane, b: Plane, r: number): Float32Array {
  const { width: w, height: h } = a;
  const sa = integral(a.data, w, h, (v) => v);
  const sb = integral(b.data, w, h, (v) => v);
  const saa = integral(a.data, w, h, (v) => v * v);
  const sbb = integral(b.data, w, h, (v) => v * v);
  const sab = integralProduct(a.data, b.data, w, h);
  const c1 = 0.01 ** 2;
  const c2 = 0.03 ** 2;
  const out = new Float32Array(w * h);
  for (let y = 0; y < h; y++) {
    const y0 = Math.max(0, y - r);
    const y1 = Math.min(h, y + r + 1);
    for (let x = 0; x < w; x++) {
      const x0 = Math.max(0, x - r);
      const x1 = Math.min(w, x + r + 1);
      const n = (x1 - x0) * (y1 - y0);
      const ma = boxSum(sa, w, x0, y0, x1, y1) / n;
      const mb = boxSum(sb, w, x0, y0, x1, y1) / n;
      const va = Math.max(0, boxSum(saa, w, x0, y0, x1, y1) / n - ma * ma);
      const vb = Math.max(0, boxSum(sbb, w, x0, y0, x1, y1) / n - mb * mb);
      const cov = boxSum(sab, w, x0, y0, x1, y1) / n - ma * mb;
      out[y * w + x] = ((2 * ma * mb + c1) * (2 * cov + c2)) / ((ma * ma + mb * mb + c1) * (va + vb + c2));
    }
  }
  return out;
}

/** Summed-area table with a zero row/column in front, (w+1) x (h+1), in float64 for exact-enough sums. */
function integral(d: Float32Array, w: number, h: number, f: (v: number) => number): Float64Array {
  const s = new Float64Array((w + 1) * (h + 1));
  for (let y = 0; y < h; y++) {
    let row = 0;
    for (let x = 0; x < w; x++) {
      row += f(d[y * w + x] as number);
      s[(y + 1) * (w + 1) + x + 1] = (s[y * (w + 1) + x + 1] as number) + row;
    }
  }
  return s;
}

function integralProduct(a: Float32Array, b: Float32Array, w: number, h: number): Float64Array {
  const prod = new Float32Array(w * h);
  for (let i = 0; i < prod.length; i++) prod[i] = (a[i] as number) * (b[i] as number);
  return integral(prod, w, h, (v) => v);
}

function boxSum(s: Float64Array, w: number, x0: number, y0: number, x1: number, y1: number): number {
  const W = w + 1;
  return (s[y1 * W + x1] as number) - (s[y0 * W + x1] as number) - (s[y1 * W + x0] as number) + (s[y0 * W + x0] as number);
}

function greyCrop(img: RgbImage, r: Rect): Plane {
  const out = new Float32Array(r.width * r.height);
  for (let y = 0; y < r.height; y++) {
    for (let x = 0; x < r.width; x++) {
      const i = 3 * ((r.y + y) * img.width + r.x + x);
      out[y * r.width + x] =
        0.299 * (img.data[i] as number) + 0.587 * (img.data[i + 1] as number) + 0.114 * (img.data[i + 2] as number);
    }
  }
  return { width: r.width, height: r.height, data: out };
}

function isMask(region: Rect | Mask): region is Mask {
  return (region as Mask).data !== undefined;
}

function regionTest(region: Rect | Mask, width: number): (i: number) => boolean {
  if (isMask(region)) return (i) => (region.data[i] as number) > 0.5;
  return (i) => {
    const x = i % width;
    const y = (i - x) / width;
    return x >= region.x && x < region.x + region.width && y >= region.y && y < region.y + region.height;
  };
}

function boundingBox(region: Rect | Mask, w: number, h: number): Rect {
  if (!isMask(region)) {
    const x0 = Math.max(0, region.x);
    const y0 = Math.max(0, region.y);
    const x1 = Math.min(w, region.x + region.width);
    const y1 = Math.min(h, region.y + region.height);
    return { x: x0, y: y0, width: x1 - x0, height: y1 - y0 };
  }
  let x0 = w;
  let y0 = h;
  let x1 = -1;
  let y1 = -1;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      if ((region.data[y * w + x] as number) > 0.5) {
        x0 = Math.min(x0, x);
        x1 = Math.max(x1, x);
        y0 = Math.min(y0, y);
        y1 = Math.max(y1, y);
      }
    }
  }
  return { x: x0, y: y0, width: x1 - x0 + 1, height: y1 - y0 + 1 };
}

function expand(r: Rect, m: number, w: number, h: number): Rect {
  const x0 = Math.max(0, r.x - m);
  const y0 = Math.max(0, r.y - m);
  const x1 = Math.min(w, r.x + r.width + m);
  const y1 = Math.min(h, r.y + r.height + m);
  return { x: x0, y: y0, width: x1 - x0, height: y1 - y0 };
}
