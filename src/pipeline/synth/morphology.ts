// Binary morphology on masks (values > 0.5 are "on"): square dilate/erode, open/close, connected
// components, keeping the largest ones, and hole filling. Pure; used to clean up foreground masks.
import { labelComponents8 } from '../io/connected-components.js';
import { type Mask } from '../io/image.js';

export function dilate(mask: Mask, radius: number): Mask {
  return squareFilter(mask, radius, true);
}

export function erode(mask: Mask, radius: number): Mask {
  return squareFilter(mask, radius, false);
}

export function closeMask(mask: Mask, radius: number): Mask {
  return erode(dilate(mask, radius), radius);
}

export function openMask(mask: Mask, radius: number): Mask {
  return dilate(erode(mask, radius), radius);
}

/** 8-connected component labels (0 = off, 1..n) and the pixel count of each label (index 0 unused). */
export function labelComponents(mask: Mask): { labels: Int32Array; sizes: number[] } {
  const { labels, sizes } = labelComponents8(mask.data, mask.width, mask.height, 0.5);
  return { labels, sizes: [0, ...sizes] };
}

/**
 * Keeps the largest component and any other at least `minRelative` of its size (at most `maxComponents`);
 * with `dropBorderSecondaries`, smaller components touching the image border go (board stripes, tray edges).
 */
export function keepLargestComponents(
  mask: Mask,
  opts: { minRelative?: number; maxComponents?: number; dropBorderSecondaries?: boolean } = {},
): Mask {
  const { labels, sizes } = labelComponents(mask);
  const order = sizes.map((s, i) => ({ s, i })).slice(1).sort((a, b) => b.s - a.s || a.i - b.i);
  const out = new Float32Array(mask.width * mask.height);
  if (order.length === 0) return { width: mask.width, height: mask.height, data: out };
  const largest = order[0]!.s;
  const touching = opts.dropBorderSecondaries ? borderLabels(labels, mask.width, mask.height) : new Set<number>();
  const keep = new Set<number>([order[0]!.i]);
  for (const c of order.slice(1, opts.maxComponents ?? 3)) {
    if (c.s >= (opts.minRelative ?? 0.1) * largest && !touching.has(c.i)) keep.add(c.i);
  }
  for (let i = 0; i < out.length; i++) out[i] = keep.has(labels[i]) ? 1 : 0;
  return { width: mask.width, height: mask.height, data: out };
}

function borderLabels(labels: Int32Array, w: number, h: number): Set<number> {
  const out = new Set<number>();
  for (let x = 0; x < w; x++) out.add(labels[x]).add(labels[(h - 1) * w + x]);
  for (let y = 0; y < h; y++) out.add(labels[y * w]).add(labels[y * w + w - 1]);
  return out;
}

/** Turns on every off pixel that cannot be reached from the image border through off pixels (4-connected). */
export function fillHoles(mask: Mask): Mask {
  const { width: w, height: h, data } = mask;
  const outside = new Uint8Array(w * h);
  const stack: number[] = [];
  const seed = (i: number): void => {
    if (data[i] <= 0.5 && outside[i] === 0) {
      outside[i] = 1;
      stack.push(i);
    }
  };
  for (let x = 0; x < w; x++) {
    seed(x);
    seed((h - 1) * w + x);
  }
  for (let y = 0; y < h; y++) {
    seed(y * w);
    seed(y * w + w - 1);
  }
  while (stack.length > 0) {
    const i = stack.pop() as number;
    const x = i % w;
    if (x > 0) seed(i - 1);
    if (x < w - 1) seed(i + 1);
    if (i >= w) seed(i - w);
    if (i < (h - 1) * w) seed(i + w);
  }
  const out = new Float32Array(w * h);
  for (let i = 0; i < out.length; i++) out[i] = outside[i] ? 0 : 1;
  return { width: w, height: h, data: out };
}

/** Separable square max (dilate) or min (erode); pixels outside the image count as off for dilate, on for erode. */
function squareFilter(mask: Mask, radius: number, isDilate: boolean): Mask {
  const { width: w, height: h } = mask;
  const r = Math.max(0, Math.round(radius));
  const src = new Uint8Array(w * h);
  for (let i = 0; i < src.length; i++) src[i] = mask.data[i] > 0.5 ? 1 : 0;
  if (r === 0) return { width: w, height: h, data: Float32Array.from(src) };
  const tmp = new Uint8Array(w * h);
  const out = new Float32Array(w * h);
  windowPass(src, tmp, w, h, 1, w, r, isDilate); // rows
  windowPass(tmp, out, h, w, w, 1, r, isDilate); // columns
  return { width: w, height: h, data: out };
}

/**
 * One separable pass over `lines` lines of `n` pixels (pixel p of line l at l*lineStep + p*posStep).
 * Running counts of "on" pixels in the window make each pass O(pixels) whatever the radius.
 */
function windowPass(src: Uint8Array, dst: Uint8Array | Float32Array, n: number, lines: number, posStep: number, lineStep: number, r: number, isDilate: boolean): void {
  for (let line = 0; line < lines; line++) {
    const base = line * lineStep;
    let count = 0;
    for (let p = -r; p < n; p++) {
      const add = p + r;
      if (add < n) count += src[base + add * posStep];
      const drop = p - r - 1;
      if (drop >= 0) count -= src[base + drop * posStep];
      if (p >= 0) dst[base + p * posStep] = hit(count, Math.min(n - 1, p + r) - Math.max(0, p - r) + 1, isDilate);
    }
  }
}

function hit(onCount: number, inside: number, isDilate: boolean): number {
  if (isDilate) return onCount > 0 ? 1 : 0;
  // Erosion treats the outside as on (objects touching the border do not shrink), so a pixel is kept
  // when every pixel of its window that lies inside the image is on.
  return onCount === inside ? 1 : 0;
}
