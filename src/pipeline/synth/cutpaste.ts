// CutPaste for LPD: a rectangle (5-20% of the image, log-uniform aspect) or a thin rotated "scar" is cut,
// flipped/turned and colour-jittered, and pasted elsewhere in the same image, behind a perceptibility gate.
import { type Mask, type RgbImage } from '../io/image.js';
import { Rng } from '../core/random.js';
import { hsvToRgb, rgbToHsv } from './augment.js';
import { clamp01, sampleBilinearRgb } from './image-ops.js';
import { DEFAULT_GATE, isImperceptible, perceptibility, type GateOptions, type Perceptibility, type Rect } from './perceptibility.js';

export type CutPasteVariant = 'normal' | 'scar';

export interface CutPasteOptions {
  variant?: CutPasteVariant;
  /** The perceptibility gate; false turns it off (every first draw is kept). */
  gate?: GateOptions | false;
  /** Patch area as a fraction of the image, normal variant (default [0.05, 0.2]). */
  areaRange?: readonly [number, number];
  /** Width/height ratio range, drawn log-uniformly (default [0.3, 1/0.3]). */
  aspectRange?: readonly [number, number];
  /** Random quarter turns and mirroring of the normal patch (default true). */
  transform?: boolean;
  /** Colour jitter strength for brightness, contrast, saturation and hue (torchvision ColorJitter; default 0.1). */
  jitter?: number;
}

export interface ColourJitter {
  brightness: number;
  contrast: number;
  saturation: number;
  hueDeg: number;
}

export interface CutPasteDraw {
  /** The rectangle that was cut (before turning). */
  source: Rect;
  /** Normal: the pasted rectangle. Scar: the bounding box of the pasted, rotated scar. */
  target: Rect;
  /** Normal: quarter turns (0..3) after an optional mirror; scar: rotation in degrees. */
  turns: number;
  mirror: boolean;
  angleDeg: number;
  jitter: ColourJitter;
  /** Defect pixels / image pixels. */
  areaFraction: number;
  perceptibility: Perceptibility;
}

export interface CutPasteParams extends CutPasteDraw {
  seed: number;
  variant: CutPasteVariant;
  /** Draws made; the kept one is the first the gate passed, else the least similar (lowest SSIM). */
  tries: number;
  accepted: boolean;
}

export interface CutPasteResult {
  image: RgbImage;
  mask: Mask;
  params: CutPasteParams;
  /** Draws the gate rejected for this sample. */
  rejections: number;
}

export function cutPaste(img: RgbImage, rng: Rng, opts: CutPasteOptions = {}): CutPasteResult {
  return cutPasteFromSeed(img, rng.nextU32(), opts);
}

export function cutPasteFromSeed(img: RgbImage, seed: number, opts: CutPasteOptions = {}): CutPasteResult {
  if (img.width < 4 || img.height < 4) throw new RangeError(`cutPaste: image ${img.width}x${img.height} is smaller than 4x4`);
  const rng = new Rng(seed);
  const variant = opts.variant ?? 'normal';
  const gate = opts.gate === false ? null : { ...DEFAULT_GATE, ...opts.gate };
  const maxTries = gate ? Math.max(1, gate.maxTries) : 1;
  let best: { image: RgbImage; mask: Mask; draw: CutPasteDraw } | null = null;
  let rejections = 0;
  for (let tries = 1; tries <= maxTries; tries++) {
    const d = variant === 'scar' ? drawScar(img, rng, opts) : drawRectangle(img, rng, opts);
    if (!gate || !isImperceptible(d.draw.perceptibility, gate)) {
      return { image: d.image, mask: d.mask, params: { ...d.draw, seed, variant, tries, accepted: true }, rejections };
    }
    rejections++;
    if (!best || d.draw.perceptibility.ssim < best.draw.perceptibility.ssim) best = d;
  }
  const kept = best as NonNullable<typeof best>;
  return { image: kept.image, mask: kept.mask, params: { ...kept.draw, seed, variant, tries: maxTries, accepted: false }, rejections };
}

interface Drawn {
  image: RgbImage;
  mask: Mask;
  draw: CutPasteDraw;
}

function drawRectangle(img: RgbImage, rng: Rng, opts: CutPasteOptions): Drawn {
  const { width: W, height: H } = img;
  const [lo, hi] = opts.areaRange ?? [0.05, 0.2];
  const [a0, a1] = opts.aspectRange ?? [0.3, 1 / 0.3];
  const turns = opts.transform === false ? 0 : rng.int(4);
  const mirror = opts.transform === false ? false : rng.bool(0.5);
  const { w, h } = rectangleSize(W, H, lo, hi, a0, a1, turns, rng);
  const pw = turns % 2 === 1 ? h : w;
  const ph = turns % 2 === 1 ? w : h;
  const source = { x: rng.int(W - w + 1), y: rng.int(H - h + 1), width: w, height: h };
  // "Another location": the paste never lands exactly where the unturned patch was cut.
  let tx = 0;
  let ty = 0;
  for (let k = 0; k < 1000; k++) {
    tx = rng.int(W - pw + 1);
    ty = rng.int(H - ph + 1);
    if (pw !== w || tx !== source.x || ty !== source.y) break;
  }
  const target = { x: tx, y: ty, width: pw, height: ph };
  const jitter = drawJitter(rng, opts.jitter ?? 0.1);
  const patch = applyJitter(turn(crop(img, source), turns, mirror), jitter);
  const image = { width: W, height: H, data: new Float32Array(img.data) };
  const mask = { width: W, height: H, data: new Float32Array(W * H) };
  for (let y = 0; y < ph; y++) {
    for (let x = 0; x < pw; x++) {
      const o = (ty + y) * W + tx + x;
      mask.data[o] = 1;
      for (let c = 0; c < 3; c++) image.data[3 * o + c] = patch.data[3 * (y * pw + x) + c] as number;
    }
  }
  const draw: CutPasteDraw = {
    source,
    target,
    turns,
    mirror,
    angleDeg: 0,
    jitter,
    areaFraction: (pw * ph) / (W * H),
    perceptibility: perceptibility(image, img, target),
  };
  return { image, mask, draw };
}

/** Integer w x h with w*h/(W*H) inside [lo, hi] and room to paste the (turned) patch somewhere else. */
function rectangleSize(W: number, H: number, lo: number, hi: number, a0: number, a1: number, turns: number, rng: Rng): { w: number; h: number } {
  const fits = (w: number, h: number): boolean => {
    const f = (w * h) / (W * H);
    const [pw, ph] = turns % 2 === 1 ? [h, w] : [w, h];
    const positions = (W - pw + 1) * (H - ph + 1);
    return w >= 1 && h >= 1 && w <= W && h <= H && pw <= W && ph <= H && f >= lo && f <= hi && (positions > 1 || pw !== w);
  };
  for (let k = 0; k < 200; k++) {
    const area = rng.uniform(lo, hi) * W * H;
    const ratio = Math.exp(rng.uniform(Math.log(a0), Math.log(a1)));
    const w = Math.round(Math.sqrt(area * ratio));
    const h = Math.round(Math.sqrt(area / ratio));
    if (fits(w, h)) return { w, h };
  }
  // Rounding on tiny images can miss the range every time: search the integer sizes directly.
  const side = Math.min(W, H);
  for (let w = 1; w <= side; w++) {
    for (let h = 1; h <= side; h++) if (fits(w, h)) return { w, h };
  }
  throw new RangeError(`cutPaste: no rectangle of ${lo}-${hi} of a ${W}x${H} image fits`);
}

function drawScar(img: RgbImage, rng: Rng, opts: CutPasteOptions): Drawn {
  const { width: W, height: H } = img;
  // CutPaste-scar sizes (width 2-16, length 10-25 px at 256 px), scaled to this image.
  const s = Math.min(W, H) / 256;
  const w = Math.max(1, Math.round(rng.uniform(2, 16) * s));
  const h = Math.min(H, Math.max(3, Math.round(rng.uniform(10, 25) * s)));
  const angleDeg = rng.uniform(-45, 45);
  const a = (angleDeg * Math.PI) / 180;
  const cos = Math.cos(a);
  const sin = Math.sin(a);
  const ex = (Math.abs(cos) * w + Math.abs(sin) * h) / 2;
  const ey = (Math.abs(sin) * w + Math.abs(cos) * h) / 2;
  const source = { x: rng.int(W - w + 1), y: rng.int(H - h + 1), width: w, height: h };
  const scx = source.x + w / 2;
  const scy = source.y + h / 2;
  let cx = W / 2;
  let cy = H / 2;
  for (let k = 0; k < 1000; k++) {
    cx = rng.uniform(Math.min(ex, W / 2), Math.max(W - ex, W / 2));
    cy = rng.uniform(Math.min(ey, H / 2), Math.max(H - ey, H / 2));
    if (Math.hypot(cx - scx, cy - scy) >= 1) break;
  }
  const jitter = drawJitter(rng, opts.jitter ?? 0.1);
  const patch = applyJitter(crop(img, source), jitter);
  const image = { width: W, height: H, data: new Float32Array(img.data) };
  const mask = { width: W, height: H, data: new Float32Array(W * H) };
  const x0 = Math.max(0, Math.floor(cx - ex));
  const x1 = Math.min(W, Math.ceil(cx + ex));
  const y0 = Math.max(0, Math.floor(cy - ey));
  const y1 = Math.min(H, Math.ceil(cy + ey));
  let area = 0;
  for (let y = y0; y < y1; y++) {
    for (let x = x0; x < x1; x++) {
      const dx = x + 0.5 - cx;
      const dy = y + 0.5 - cy;
      const lx = cos * dx + sin * dy;
      const ly = -sin * dx + cos * dy;
      if (Math.abs(lx) > w / 2 || Math.abs(ly) > h / 2) continue;
      const o = y * W + x;
      mask.data[o] = 1;
      area++;
      sampleBilinearRgb(patch, lx + w / 2 - 0.5, ly + h / 2 - 0.5, image.data, 3 * o, 'clamp');
    }
  }
  const target = { x: x0, y: y0, width: x1 - x0, height: y1 - y0 };
  const draw: CutPasteDraw = {
    source,
    target,
    turns: 0,
    mirror: false,
    angleDeg,
    jitter,
    areaFraction: area / (W * H),
    perceptibility: perceptibility(image, img, mask),
  };
  return { image, mask, draw };
}

function crop(img: RgbImage, r: Rect): RgbImage {
  const data = new Float32Array(r.width * r.height * 3);
  for (let y = 0; y < r.height; y++) {
    const s = 3 * ((r.y + y) * img.width + r.x);
    data.set(img.data.subarray(s, s + 3 * r.width), 3 * y * r.width);
  }
  return { width: r.width, height: r.height, data };
}

/** Mirror (left-right) then `turns` clockwise quarter turns. */
function turn(img: RgbImage, turns: number, mirror: boolean): RgbImage {
  let cur = img;
  if (mirror) {
    const data = new Float32Array(cur.data.length);
    for (let y = 0; y < cur.height; y++) {
      for (let x = 0; x < cur.width; x++) {
        const s = 3 * (y * cur.width + (cur.width - 1 - x));
        data.set(cur.data.subarray(s, s + 3), 3 * (y * cur.width + x));
      }
    }
    cur = { width: cur.width, height: cur.height, data };
  }
  for (let k = 0; k < turns; k++) {
    const { width: w, height: h } = cur;
    const data = new Float32Array(cur.data.length);
    // Clockwise: output (x, y) of the h x w result takes input (y, h - 1 - x).
    for (let y = 0; y < w; y++) {
      for (let x = 0; x < h; x++) {
        const s = 3 * ((h - 1 - x) * w + y);
        data.set(cur.data.subarray(s, s + 3), 3 * (y * h + x));
      }
    }
    cur = { width: h, height: w, data };
  }
  return cur;
}

function drawJitter(rng: Rng, j: number): ColourJitter {
  return {
    brightness: rng.uniform(1 - j, 1 + j),
    contrast: rng.uniform(1 - j, 1 + j),
    saturation: rng.uniform(1 - j, 1 + j),
    hueDeg: rng.uniform(-j, j) * 360,
  };
}

function applyJitter(img: RgbImage, j: ColourJitter): RgbImage {
  const n = img.width * img.height;
  const d = new Float32Array(img.data.length);
  let mean = 0;
  for (let i = 0; i < n; i++) mean += 0.299 * (img.data[3 * i] as number) + 0.587 * (img.data[3 * i + 1] as number) + 0.114 * (img.data[3 * i + 2] as number);
  // torchvision blends contrast towards the mean grey of the already brightened patch.
  mean = (mean / n) * j.brightness;
  const hsv = [0, 0, 0];
  const rgb = [0, 0, 0];
  for (let i = 0; i < n; i++) {
    let r = (img.data[3 * i] as number) * j.brightness;
    let g = (img.data[3 * i + 1] as number) * j.brightness;
    let b = (img.data[3 * i + 2] as number) * j.brightness;
    r = mean + j.contrast * (r - mean);
    g = mean + j.contrast * (g - mean);
    b = mean + j.contrast * (b - mean);
    const grey = 0.299 * r + 0.587 * g + 0.114 * b;
    r = clamp01(grey + j.saturation * (r - grey));
    g = clamp01(grey + j.saturation * (g - grey));
    b = clamp01(grey + j.saturation * (b - grey));
    rgbToHsv(r, g, b, hsv);
    hsvToRgb((((hsv[0] as number) + j.hueDeg) % 360 + 360) % 360, hsv[1] as number, hsv[2] as number, rgb);
    d[3 * i] = clamp01(rgb[0] as number);
    d[3 * i + 1] = clamp01(rgb[1] as number);
    d[3 * i + 2] = clamp01(rgb[2] as number);
  }
  return { width: img.width, height: img.height, data: d };
}
