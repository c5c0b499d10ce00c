// Fractal Perlin noise and the thresholded, rotated anomaly masks drawn from it (DRAEM's recipe).
// Pure: everything random comes from the Rng it is given; no images, files or tensors here.
import { type Mask } from '../io/image.js';
import { type Rng } from '../core/random.js';

export interface PerlinMaskOptions {
  /** Noise above this value is defect (DRAEM: 0.5). */
  threshold?: number;
  /** Scale exponents: the base noise has 2^a x 2^b cells, a, b drawn from [min, max]. */
  minScaleExp?: number;
  /** Default 6, capped so that a base cell stays at least 4 px wide (finer noise is speckle). */
  maxScaleExp?: number;
  /** Octaves of the fractal sum (each twice the frequency, half the amplitude); finer than 2 px is skipped. */
  octaves?: number;
  /** Rotate the noise field by U(-90, 90) degrees (default true). */
  rotate?: boolean;
  /** Region the mask must stay inside (e.g. the object's foreground); null/undefined = whole image. */
  within?: Mask | null;
  /** Smallest acceptable mask, as a fraction of the image (default 0.002, at least one pixel). */
  minAreaFraction?: number;
  /** Draws before falling back to renormalising the last noise (default 16). */
  maxTries?: number;
}

export interface PerlinParams {
  scaleExpX: number;
  scaleExpY: number;
  angleDeg: number;
  octaves: number;
  threshold: number;
  /** Draws made (1 = the first was accepted). */
  tries: number;
  /** True when no draw was big enough and the threshold was lowered to keep the top minArea pixels. */
  renormalised: boolean;
  area: number;
}

export interface PerlinNoiseSpec {
  scaleX: number;
  scaleY: number;
  angleDeg: number;
  octaves: number;
}

/** A Perlin mask that is never empty and lies inside `within` (when that region is non-empty). */
export function perlinMask(width: number, height: number, rng: Rng, opts: PerlinMaskOptions = {}): Mask {
  return perlinMaskDetailed(width, height, rng, opts).mask;
}

export function perlinMaskDetailed(
  width: number,
  height: number,
  rng: Rng,
  opts: PerlinMaskOptions = {},
): { mask: Mask; params: PerlinParams } {
  const threshold = opts.threshold ?? 0.5;
  const within = opts.within ?? null;
  if (within && (within.width !== width || within.height !== height)) {
    throw new RangeError(`perlinMask: region is ${within.width}x${within.height}, image is ${width}x${height}`);
  }
  const allowed = allowedCount(within, width * height);
  if (allowed === 0) throw new RangeError('perlinMask: the region to stay inside is empty');
  const minArea = Math.min(allowed, Math.max(1, Math.ceil((opts.minAreaFraction ?? 0.002) * width * height)));
  const maxTries = Math.max(1, opts.maxTries ?? 16);
  const minExp = Math.max(0, opts.minScaleExp ?? 0);
  const maxExpX = Math.max(minExp, Math.min(opts.maxScaleExp ?? 6, Math.floor(Math.log2(width / 4))));
  const maxExpY = Math.max(minExp, Math.min(opts.maxScaleExp ?? 6, Math.floor(Math.log2(height / 4))));
  const octaves = Math.max(1, opts.octaves ?? 3);

  let noise: Float32Array = new Float32Array(0);
  let spec: PerlinNoiseSpec = { scaleX: 1, scaleY: 1, angleDeg: 0, octaves };
  let expX = 0;
  let expY = 0;
  for (let tries = 1; tries <= maxTries; tries++) {
    expX = rng.intRange(minExp, maxExpX);
    expY = rng.intRange(minExp, maxExpY);
    spec = { scaleX: 2 ** expX, scaleY: 2 ** expY, angleDeg: opts.rotate === false ? 0 : rng.uniform(-90, 90), octaves };
    noise = perlinNoise(width, height, rng, spec);
    const mask = thresholdInside(noise, width, height, threshold, within);
    const area = countOnes(mask.data);
    if (area >= minArea) {
      const params = { scaleExpX: expX, scaleExpY: expY, angleDeg: spec.angleDeg, octaves, threshold, tries, renormalised: false, area };
      return { mask, params };
    }
  }
  // Renormalise: keep the minArea highest-noise allowed pixels, so the blob shape still comes from the noise.
  const t = kthLargestInside(noise, within, minArea);
  const mask = thresholdInside(noise, width, height, t, within, true);
  const params = {
    scaleExpX: expX,
    scaleExpY: expY,
    angleDeg: spec.angleDeg,
    octaves,
    threshold: t,
    tries: maxTries,
    renormalised: true,
    area: countOnes(mask.data),
  };
  return { mask, params };
}

/**
 * Fractal Perlin noise, octaves summed with amplitudes 1, 1/2, 1/4... and rescaled to the variance of one
 * octave (which spans about [-1, 1]),
 * with scaleX x scaleY base cells across the image, rotated by angleDeg about the centre.
 */
export function perlinNoise(width: number, height: number, rng: Rng, spec: PerlinNoiseSpec): Float32Array {
  const lattice = makeLattice(rng);
  const ox = rng.uniform(0, 256);
  const oy = rng.uniform(0, 256);
  const out = new Float32Array(width * height);
  const a = (spec.angleDeg * Math.PI) / 180;
  const cos = Math.cos(a);
  const sin = Math.sin(a);
  const cx = width / 2;
  const cy = height / 2;
  const octs: { fx: number; fy: number; amp: number }[] = [];
  let norm = 0;
  for (let o = 0; o < spec.octaves; o++) {
    const f = 2 ** o;
    // An octave finer than 2 px per cell adds aliasing, not shape.
    if (o > 0 && (spec.scaleX * f > width / 2 || spec.scaleY * f > height / 2)) break;
    const amp = 0.5 ** o;
    octs.push({ fx: (spec.scaleX * f) / width, fy: (spec.scaleY * f) / height, amp });
    norm += amp * amp;
  }
  // sqrt(2) as in DRAEM's rand_perlin_2d, so one octave spans about [-1, 1] and the 0.5 threshold means the same.
  const inv = Math.SQRT2 / Math.sqrt(norm);
  for (let y = 0; y < height; y++) {
    const dy = y + 0.5 - cy;
    for (let x = 0; x < width; x++) {
      const dx = x + 0.5 - cx;
      // Sampling the unrotated field at the inversely rotated point rotates the field itself.
      const u = cos * dx + sin * dy + cx;
      const v = -sin * dx + cos * dy + cy;
      let s = 0;
      for (const oc of octs) s += oc.amp * noise2(lattice, u * oc.fx + ox, v * oc.fy + oy);
      out[y * width + x] = s * inv;
    }
  }
  return out;
}

interface Lattice {
  perm: Uint8Array;
  gx: Float32Array;
  gy: Float32Array;
}

function makeLattice(rng: Rng): Lattice {
  const idx = Array.from({ length: 256 }, (_, i) => i);
  rng.shuffle(idx);
  const perm = new Uint8Array(512);
  for (let i = 0; i < 512; i++) perm[i] = idx[i & 255] as number;
  const gx = new Float32Array(256);
  const gy = new Float32Array(256);
  for (let i = 0; i < 256; i++) {
    const t = rng.uniform(0, 2 * Math.PI);
    gx[i] = Math.cos(t);
    gy[i] = Math.sin(t);
  }
  return { perm, gx, gy };
}

function fade(t: number): number {
  return t * t * t * (t * (t * 6 - 15) + 10);
}

function noise2(l: Lattice, x: number, y: number): number {
  const xi = Math.floor(x);
  const yi = Math.floor(y);
  const xf = x - xi;
  const yf = y - yi;
  const X = xi & 255;
  const Y = yi & 255;
  const p = l.perm;
  const aa = p[p[X] + Y];
  const ab = p[p[X] + Y + 1];
  const ba = p[p[X + 1] + Y];
  const bb = p[p[X + 1] + Y + 1];
  const n00 = l.gx[aa] * xf + l.gy[aa] * yf;
  const n10 = l.gx[ba] * (xf - 1) + l.gy[ba] * yf;
  const n01 = l.gx[ab] * xf + l.gy[ab] * (yf - 1);
  const n11 = l.gx[bb] * (xf - 1) + l.gy[bb] * (yf - 1);
  const u = fade(xf);
  const v = fade(yf);
  const nx0 = n00 + u * (n10 - n00);
  const nx1 = n01 + u * (n11 - n01);
  return nx0 + v * (nx1 - nx0);
}

function thresholdInside(
  noise: Float32Array,
  width: number,
  height: number,
  t: number,
  within: Mask | null,
  inclusive = false,
): Mask {
  const data = new Float32Array(width * height);
  for (let i = 0; i < data.length; i++) {
    const on = inclusive ? noise[i] >= t : noise[i] > t;
    data[i] = on && (!within || within.data[i] > 0.5) ? 1 : 0;
  }
  return { width, height, data };
}

function kthLargestInside(noise: Float32Array, within: Mask | null, k: number): number {
  const vals: number[] = [];
  for (let i = 0; i < noise.length; i++) if (!within || within.data[i] > 0.5) vals.push(noise[i]);
  vals.sort((a, b) => b - a);
  return vals[Math.min(k, vals.length) - 1] as number;
}

function allowedCount(within: Mask | null, n: number): number {
  return within ? countOnes(within.data) : n;
}

function countOnes(d: Float32Array): number {
  let s = 0;
  for (let i = 0; i < d.length; i++) if (d[i] > 0.5) s++;
  return s;
}
