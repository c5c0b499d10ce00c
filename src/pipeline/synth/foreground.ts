// Automatic object (foreground) masks, so that synthetic defects land on the part, not on the board around
// it: Otsu (3, then 2 classes) on a smoothed distance-to-border-colour map, or on grey; then morphology. Pure.
import { type Mask, type RgbImage } from '../io/image.js';
import { gaussianBlur, type Plane } from './image-ops.js';
import { closeMask, dilate, fillHoles, keepLargestComponents, openMask } from './morphology.js';

export interface ForegroundOptions {
  /** Smoothing before thresholding, in pixels (default: 0.5% of the shorter side, at least 0.5). */
  blurSigma?: number;
  /** Below this fraction of the image the object was not found; the whole image is used (default 0.01). */
  minFraction?: number;
  /** Above this fraction there is no background to speak of; the whole image is used (default 0.95). */
  maxFraction?: number;
  /** Otsu separability (between-class / total variance) needed to try a split (default 0.6; a single
   *  Gaussian scores 2/pi = 0.64, so this only screens out flat images). */
  minSeparability?: number;
  /** Share of the split-off pixels the object must hold (default 0.5): textures split into many similar
   *  blobs, of which the largest few hold little (measured: most textures 0.05-0.5, SMT parts 0.54-0.93). */
  minDominance?: number;
  /** Components at least this fraction of the largest are kept too (default 0.25). */
  minRelativeComponent?: number;
}

export type ForegroundMethod = 'colour-distance' | 'grey' | 'full';

export interface ForegroundResult {
  mask: Mask;
  method: ForegroundMethod;
  /** Why the whole image was used, when it was. */
  reason?: string;
  separability: number;
  fraction: number;
  /** Share of the thresholded pixels that ended up in the mask (absent for 'full'). */
  dominance?: number;
}

/** The object's mask (1 = object); the whole image when no object/background split can be trusted. Never empty. */
export function foregroundMask(img: RgbImage, opts: ForegroundOptions = {}): Mask {
  return foregroundMaskDetailed(img, opts).mask;
}

export function foregroundMaskDetailed(img: RgbImage, opts: ForegroundOptions = {}): ForegroundResult {
  const { width: w, height: h } = img;
  const side = Math.min(w, h);
  const sigma = opts.blurSigma ?? Math.max(0.5, side / 200);
  const minSep = opts.minSeparability ?? 0.6;
  const minDominance = opts.minDominance ?? 0.5;
  const distance = gaussianBlur(distanceToBorderColour(img), sigma);
  const grey = gaussianBlur(greyPlane(img), sigma);
  const reasons: string[] = [];
  let bestSep = 0;
  const attempts: { plane: Plane; method: ForegroundMethod; threshold: (split: OtsuSplit) => number; mayInvert: boolean; unless?: (split: OtsuSplit) => boolean }[] = [
    // The lower of three Otsu classes: board | dim body | bright terminals is the usual SMT picture, where
    // two classes would put a dark body on the board's side. Not when two classes already explain the
    // picture (separability >= 0.9: one object on a plain board); three would then split the board's noise.
    { plane: distance, method: 'colour-distance', threshold: () => otsu3(distance.data)[0], mayInvert: false, unless: (o) => o.separability >= 0.9 },
    { plane: distance, method: 'colour-distance', threshold: (o) => o.threshold, mayInvert: false },
    // Distance is high on the object by construction; grey may have either polarity.
    { plane: grey, method: 'grey', threshold: (o) => o.threshold, mayInvert: true },
  ];
  const splits = new Map<Plane, OtsuSplit>();
  for (const a of attempts) {
    if (!splits.has(a.plane)) splits.set(a.plane, otsu(a.plane.data));
    const o = splits.get(a.plane) as OtsuSplit;
    bestSep = Math.max(bestSep, o.separability);
    if (o.separability < minSep) {
      reasons.push(`${a.method}: separability ${o.separability.toFixed(2)} < ${minSep}`);
      continue;
    }
    if (a.unless?.(o)) continue;
    let raw = binarise(a.plane, a.threshold(o));
    // The background is whatever covers most of the border; flip when the bright class holds it.
    if (a.mayInvert && borderFraction(raw) > 0.5) raw = invert(raw);
    if (borderFraction(raw) > 0.5) {
      reasons.push(`${a.method}: border is mostly object`);
      continue;
    }
    const mask = cleanUp(raw, side, opts.minRelativeComponent ?? 0.25);
    const fraction = onFraction(mask);
    if (fraction < (opts.minFraction ?? 0.01) || fraction > (opts.maxFraction ?? 0.95)) {
      reasons.push(`${a.method}: object covers ${(100 * fraction).toFixed(1)}% of the image`);
      continue;
    }
    const share = dominance(mask, raw);
    if (share < minDominance) {
      reasons.push(`${a.method}: the object holds only ${(100 * share).toFixed(0)}% of the split-off pixels (a texture?)`);
      continue;
    }
    return { mask, method: a.method, separability: o.separability, fraction, dominance: share };
  }
  const full = { width: w, height: h, data: new Float32Array(w * h).fill(1) };
  return { mask: full, method: 'full', reason: reasons.join('; '), separability: bestSep, fraction: 1 };
}

export interface OtsuSplit {
  threshold: number;
  /** Between-class variance / total variance, in [0, 1]. */
  separability: number;
}

/** Otsu's two-class threshold on values and its separability. */
export function otsu(values: Float32Array, bins = 256): OtsuSplit {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < values.length; i++) {
    lo = Math.min(lo, values[i]);
    hi = Math.max(hi, values[i]);
  }
  if (!(hi > lo)) return { threshold: hi, separability: 0 };
  const hist = new Float64Array(bins);
  const scale = (bins - 1) / (hi - lo);
  for (let i = 0; i < values.length; i++) hist[Math.round((values[i] - lo) * scale)]++;
  const n = values.length;
  let sumAll = 0;
  let sqAll = 0;
  for (let b = 0; b < bins; b++) {
    sumAll += b * hist[b];
    sqAll += b * b * hist[b];
  }
  const mean = sumAll / n;
  const total = sqAll / n - mean * mean;
  let w0 = 0;
  let sum0 = 0;
  let best = -1;
  let bestBin = 0;
  for (let b = 0; b < bins - 1; b++) {
    w0 += hist[b];
    sum0 += b * hist[b];
    if (w0 === 0 || w0 === n) continue;
    const m0 = sum0 / w0;
    const m1 = (sumAll - sum0) / (n - w0);
    const between = (w0 / n) * (1 - w0 / n) * (m0 - m1) ** 2;
    if (between > best) {
      best = between;
      bestBin = b;
    }
  }
  return { threshold: lo + (bestBin + 0.5) / scale, separability: total > 0 ? best / total : 0 };
}

/** Two thresholds splitting values into three classes with the largest between-class variance (64 bins). */
export function otsu3(values: Float32Array, bins = 64): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < values.length; i++) {
    lo = Math.min(lo, values[i]);
    hi = Math.max(hi, values[i]);
  }
  if (!(hi > lo)) return [hi, hi];
  const scale = (bins - 1) / (hi - lo);
  const count = new Float64Array(bins + 1);
  const sum = new Float64Array(bins + 1);
  const hist = new Float64Array(bins);
  for (let i = 0; i < values.length; i++) hist[Math.round((values[i] - lo) * scale)]++;
  for (let b = 0; b < bins; b++) {
    count[b + 1] = count[b] + hist[b];
    sum[b + 1] = sum[b] + b * hist[b];
  }
  const n = count[bins];
  const mean = sum[bins] / n;
  const term = (a: number, b: number): number => {
    const w = count[b] - count[a];
    return w > 0 ? w * ((sum[b] - sum[a]) / w - mean) ** 2 : 0;
  };
  let best = -1;
  let bi = 1;
  let bj = 2;
  for (let i = 1; i < bins - 1; i++) {
    for (let j = i + 1; j < bins; j++) {
      const between = term(0, i) + term(i, j) + term(j, bins);
      if (between > best) {
        best = between;
        bi = i;
        bj = j;
      }
    }
  }
  // Class boundaries sit between bins i-1 and i (and j-1 and j).
  return [lo + (bi - 0.5) / scale, lo + (bj - 0.5) / scale];
}

/** Distance of each pixel from the median colour of a thin border band (the board or tray colour). */
function distanceToBorderColour(img: RgbImage): Plane {
  const { width: w, height: h, data } = img;
  const band = Math.max(1, Math.round(Math.min(w, h) * 0.03));
  const chans: number[][] = [[], [], []];
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      if (x >= band && x < w - band && y >= band && y < h - band) continue;
      for (let c = 0; c < 3; c++) chans[c]!.push(data[3 * (y * w + x) + c]);
    }
  }
  const bg = chans.map((v) => median(v));
  const out = new Float32Array(w * h);
  for (let i = 0; i < w * h; i++) {
    const dr = data[3 * i] - bg[0]!;
    const dg = data[3 * i + 1] - bg[1]!;
    const db = data[3 * i + 2] - bg[2]!;
    out[i] = Math.sqrt(dr * dr + dg * dg + db * db);
  }
  return { width: w, height: h, data: out };
}

function greyPlane(img: RgbImage): Plane {
  const n = img.width * img.height;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = 0.299 * img.data[3 * i] + 0.587 * img.data[3 * i + 1] + 0.114 * img.data[3 * i + 2];
  return { width: img.width, height: img.height, data: out };
}

function cleanUp(raw: Mask, side: number, minRelative: number): Mask {
  const r = Math.max(1, Math.round(side / 40));
  // Opening first removes thin lines of the board (tracks, strip gaps) before closing can weld them on;
  // thin parts of the object (leads) go with them, which keeps defects on its body.
  let m = closeMask(openMask(raw, r), Math.max(1, Math.round(side / 64)));
  m = fillHoles(keepLargestComponents(m, { minRelative, maxComponents: 4, dropBorderSecondaries: true }));
  // A small margin lets defects touch the object's outline, where real ones often sit.
  return dilate(m, Math.max(1, Math.round(r / 2)));
}

function binarise(p: Plane, t: number): Mask {
  const out = new Float32Array(p.data.length);
  for (let i = 0; i < out.length; i++) out[i] = p.data[i] > t ? 1 : 0;
  return { width: p.width, height: p.height, data: out };
}

function invert(m: Mask): Mask {
  const out = new Float32Array(m.data.length);
  for (let i = 0; i < out.length; i++) out[i] = m.data[i] > 0.5 ? 0 : 1;
  return { width: m.width, height: m.height, data: out };
}

function borderFraction(m: Mask): number {
  const { width: w, height: h, data } = m;
  let on = 0;
  let n = 0;
  for (let x = 0; x < w; x++) {
    on += (data[x] > 0.5 ? 1 : 0) + (data[(h - 1) * w + x] > 0.5 ? 1 : 0);
    n += 2;
  }
  for (let y = 1; y < h - 1; y++) {
    on += (data[y * w] > 0.5 ? 1 : 0) + (data[y * w + w - 1] > 0.5 ? 1 : 0);
    n += 2;
  }
  return on / n;
}

function dominance(mask: Mask, raw: Mask): number {
  let on = 0;
  let kept = 0;
  for (let i = 0; i < raw.data.length; i++) {
    if (raw.data[i] <= 0.5) continue;
    on++;
    if (mask.data[i] > 0.5) kept++;
  }
  return on > 0 ? kept / on : 0;
}

function onFraction(m: Mask): number {
  let s = 0;
  for (let i = 0; i < m.data.length; i++) if (m.data[i] > 0.5) s++;
  return s / m.data.length;
}

function median(v: number[]): number {
  const s = [...v].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] as number;
}
