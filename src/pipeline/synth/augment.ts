// DRAEM's texture augmenter: three of ten photometric/geometric operations, drawn without replacement and
// applied in list order (imgaug SomeOf(3, ..., random_order=False)). Pure; each op records its parameters.
import { type RgbImage } from '../io/image.js';
import { type Rng } from '../core/random.js';
import { affineImage, clamp01, cloneImage, gaussianBlur, type Plane } from './image-ops.js';

export type AugmentName =
  | 'gamma'
  | 'brightness'
  | 'sharpness'
  | 'hue-saturation'
  | 'solarize'
  | 'posterize'
  | 'invert'
  | 'autocontrast'
  | 'equalize'
  | 'affine';

export const AUGMENT_NAMES: readonly AugmentName[] = [
  'gamma',
  'brightness',
  'sharpness',
  'hue-saturation',
  'solarize',
  'posterize',
  'invert',
  'autocontrast',
  'equalize',
  'affine',
];

/** One applied operation and the values drawn for it (enough to read what happened, JSON-safe). */
export interface AugmentOp {
  name: AugmentName;
  values: Record<string, number | boolean | number[]>;
}

/** Draws `count` distinct operations (DRAEM: 3) and applies them in list order. */
export function augmentTexture(img: RgbImage, rng: Rng, count = 3): { image: RgbImage; ops: AugmentOp[] } {
  const order = rng.shuffle(AUGMENT_NAMES.map((_, i) => i)).slice(0, Math.min(count, AUGMENT_NAMES.length));
  order.sort((a, b) => a - b);
  let image = img;
  const ops: AugmentOp[] = [];
  for (const i of order) {
    const name = AUGMENT_NAMES[i] as AugmentName;
    const r = applyAugment(name, image, rng);
    image = r.image;
    ops.push({ name, values: r.values });
  }
  return { image, ops };
}

export function applyAugment(
  name: AugmentName,
  img: RgbImage,
  rng: Rng,
): { image: RgbImage; values: AugmentOp['values'] } {
  switch (name) {
    case 'gamma': {
      // imgaug GammaContrast((0.5, 2.0), per_channel=True)
      const g = [rng.uniform(0.5, 2), rng.uniform(0.5, 2), rng.uniform(0.5, 2)];
      return { image: perChannel(img, (v, c) => Math.pow(v, g[c]!)), values: { gamma: g.map(round4) } };
    }
    case 'brightness': {
      // MultiplyAndAddToBrightness(mul=(0.8, 1.2), add=(-30, 30)) on a 0-255 scale
      const mul = rng.uniform(0.8, 1.2);
      const add = rng.uniform(-30, 30) / 255;
      return { image: perChannel(img, (v) => v * mul + add), values: { mul: round4(mul), add: round4(add) } };
    }
    case 'sharpness': {
      // PIL ImageEnhance.Sharpness: blend between a smoothed copy (factor 0) and the original (1), beyond 1 sharpens.
      const factor = rng.uniform(0, 2);
      return { image: sharpen(img, factor), values: { factor: round4(factor) } };
    }
    case 'hue-saturation': {
      // AddToHueAndSaturation((-50, 50), per_channel=True): imgaug's hue unit is 360/255 degrees.
      const hue = (rng.uniform(-50, 50) * 360) / 255;
      const sat = rng.uniform(-50, 50) / 255;
      return { image: shiftHueSaturation(img, hue, sat), values: { hueDeg: round4(hue), saturation: round4(sat) } };
    }
    case 'solarize': {
      // Solarize(0.5, threshold=(32, 128)): applied to half the images.
      const apply = rng.bool(0.5);
      const t = rng.uniform(32, 128) / 255;
      const image = apply ? perChannel(img, (v) => (v >= t ? 1 - v : v)) : cloneImage(img);
      return { image, values: { applied: apply, threshold: round4(t) } };
    }
    case 'posterize': {
      const bits = rng.intRange(2, 7);
      const step = 2 ** (8 - bits);
      return {
        image: perChannel(img, (v) => (Math.floor(Math.round(v * 255) / step) * step) / 255),
        values: { bits },
      };
    }
    case 'invert':
      return { image: perChannel(img, (v) => 1 - v), values: {} };
    case 'autocontrast': {
      const cutoff = rng.uniform(0, 0.1);
      return { image: autocontrast(img, cutoff), values: { cutoff: round4(cutoff) } };
    }
    case 'equalize':
      return { image: equalize(img), values: {} };
    case 'affine': {
      // Affine(rotate=(-45, 45)); corners are reflected rather than black so that no flat wedge gets pasted.
      const angle = rng.uniform(-45, 45);
      return { image: affineImage(img, { angleDeg: angle }, 'reflect'), values: { angleDeg: round4(angle) } };
    }
  }
}

function perChannel(img: RgbImage, f: (v: number, c: number) => number): RgbImage {
  const out = new Float32Array(img.data.length);
  for (let i = 0; i < out.length; i++) out[i] = clamp01(f(img.data[i], i % 3));
  return { width: img.width, height: img.height, data: out };
}

function sharpen(img: RgbImage, factor: number): RgbImage {
  const out = new Float32Array(img.data.length);
  const n = img.width * img.height;
  for (let c = 0; c < 3; c++) {
    const plane: Plane = { width: img.width, height: img.height, data: new Float32Array(n) };
    for (let i = 0; i < n; i++) plane.data[i] = img.data[3 * i + c];
    const smooth = gaussianBlur(plane, 0.8);
    for (let i = 0; i < n; i++) out[3 * i + c] = clamp01(smooth.data[i] + factor * (plane.data[i] - smooth.data[i]));
  }
  return { width: img.width, height: img.height, data: out };
}

function shiftHueSaturation(img: RgbImage, hueDeg: number, satAdd: number): RgbImage {
  const out = new Float32Array(img.data.length);
  const hsv = [0, 0, 0];
  const rgb = [0, 0, 0];
  for (let i = 0; i < img.width * img.height; i++) {
    rgbToHsv(img.data[3 * i], img.data[3 * i + 1], img.data[3 * i + 2], hsv);
    const h = (((hsv[0]! + hueDeg) % 360) + 360) % 360;
    hsvToRgb(h, clamp01(hsv[1]! + satAdd), hsv[2]!, rgb);
    out[3 * i] = rgb[0]!;
    out[3 * i + 1] = rgb[1]!;
    out[3 * i + 2] = rgb[2]!;
  }
  return { width: img.width, height: img.height, data: out };
}

/** Per-channel stretch so that `cutoff` of the pixels saturate at each end (PIL ImageOps.autocontrast). */
function autocontrast(img: RgbImage, cutoff: number): RgbImage {
  const n = img.width * img.height;
  const out = new Float32Array(img.data.length);
  for (let c = 0; c < 3; c++) {
    const hist = channelHistogram(img, c);
    const lo = percentileBin(hist, n, cutoff / 2) / 255;
    const hi = percentileBin(hist, n, 1 - cutoff / 2) / 255;
    for (let i = 0; i < n; i++) {
      const v = img.data[3 * i + c];
      out[3 * i + c] = hi > lo ? clamp01((v - lo) / (hi - lo)) : v;
    }
  }
  return { width: img.width, height: img.height, data: out };
}

/** Per-channel histogram equalisation (PIL ImageOps.equalize). */
function equalize(img: RgbImage): RgbImage {
  const n = img.width * img.height;
  const out = new Float32Array(img.data.length);
  for (let c = 0; c < 3; c++) {
    const hist = channelHistogram(img, c);
    const cdf = new Float64Array(256);
    let acc = 0;
    for (let b = 0; b < 256; b++) cdf[b] = acc += hist[b];
    let cdfMin = 0;
    for (let b = 0; b < 256; b++) {
      if (hist[b] > 0) {
        cdfMin = cdf[b];
        break;
      }
    }
    const denom = n - cdfMin;
    for (let i = 0; i < n; i++) {
      const v = img.data[3 * i + c];
      out[3 * i + c] = denom > 0 ? clamp01((cdf[toByte(v)] - cdfMin) / denom) : v;
    }
  }
  return { width: img.width, height: img.height, data: out };
}

function channelHistogram(img: RgbImage, c: number): Float64Array {
  const hist = new Float64Array(256);
  for (let i = 0; i < img.width * img.height; i++) hist[toByte(img.data[3 * i + c])]++;
  return hist;
}

function percentileBin(hist: Float64Array, n: number, q: number): number {
  let acc = 0;
  for (let b = 0; b < 256; b++) {
    acc += hist[b];
    if (acc >= q * n && acc > 0) return b;
  }
  return 255;
}

function toByte(v: number): number {
  return Math.max(0, Math.min(255, Math.round(v * 255)));
}

function round4(v: number): number {
  return Math.round(v * 1e4) / 1e4;
}

export function rgbToHsv(r: number, g: number, b: number, out: number[]): void {
  const max = Math.max(r, g, b);
  const min = Math.min(r, g, b);
  const d = max - min;
  let h = 0;
  if (d > 0) {
    if (max === r) h = 60 * (((g - b) / d) % 6);
    else if (max === g) h = 60 * ((b - r) / d + 2);
    else h = 60 * ((r - g) / d + 4);
  }
  out[0] = h < 0 ? h + 360 : h;
  out[1] = max > 0 ? d / max : 0;
  out[2] = max;
}

export function hsvToRgb(h: number, s: number, v: number, out: number[]): void {
  const c = v * s;
  const x = c * (1 - Math.abs(((h / 60) % 2) - 1));
  const m = v - c;
  const k = Math.floor(h / 60) % 6;
  const [r, g, b] = k === 0 ? [c, x, 0] : k === 1 ? [x, c, 0] : k === 2 ? [0, c, x] : k === 3 ? [0, x, c] : k === 4 ? [x, 0, c] : [c, 0, x];
  out[0] = r + m;
  out[1] = g + m;
  out[2] = b + m;
}
