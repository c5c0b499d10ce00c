// Synthetic anomalies for SRAD and validation: a Perlin mask (inside the object's foreground) showing an
// augmented texture (DRAEM) or a shuffled copy of the image (MSTUnet), blended with opacity beta. Pure.
import { type Mask, type RgbImage } from '../io/image.js';
import { Rng } from '../core/random.js';
import { augmentTexture, type AugmentOp } from './augment.js';
import { resizeImage } from './image-ops.js';
import { perlinMaskDetailed, type PerlinMaskOptions, type PerlinParams } from './perlin.js';
import { structuralSource, type StructuralParams } from './structural.js';
import { type TextureBank } from './texture-bank.js';

export type AnomalyKind = 'texture' | 'structural' | 'mixed';

export interface SynthesizeOptions {
  kind: AnomalyKind;
  /** Needed for 'texture' and 'mixed'; 'structural' draws no texture. */
  textures?: TextureBank | null;
  /** Where defects may go (1 = object); null/undefined = anywhere. An empty mask is ignored (and recorded). */
  foreground?: Mask | null;
  /** Chance of returning the image untouched with an empty mask (DRAEM trains with 0.5; default 0). */
  normalProbability?: number;
  /** Range of beta, the weight the original keeps under the mask (DRAEM: [0, 0.8]). */
  betaRange?: readonly [number, number];
  /** Perlin mask settings (its `within` is the foreground). */
  perlin?: Omit<PerlinMaskOptions, 'within'>;
}

export interface SynthParams {
  /** Per-sample seed: synthesizeAnomalyFromSeed(image, seed, same options) reproduces the sample bit for bit. */
  seed: number;
  requestedKind: AnomalyKind;
  kind: 'texture' | 'structural' | 'normal';
  foreground: 'given' | 'none' | 'empty-ignored';
  beta?: number;
  perlin?: PerlinParams;
  texture?: { index: number; name: string; augment: AugmentOp[] };
  structural?: StructuralParams;
  /** Defect pixels and their fraction of the image. */
  maskArea: number;
  maskFraction: number;
}

export interface SynthSample {
  image: RgbImage;
  mask: Mask;
  params: SynthParams;
}

/** Draws one per-sample seed from `rng`, then synthesises from it (see synthesizeAnomalyFromSeed). */
export function synthesizeAnomaly(img: RgbImage, rng: Rng, opts: SynthesizeOptions): SynthSample {
  return synthesizeAnomalyFromSeed(img, rng.nextU32(), opts);
}

export function synthesizeAnomalyFromSeed(img: RgbImage, seed: number, opts: SynthesizeOptions): SynthSample {
  const rng = new Rng(seed);
  const { width: w, height: h } = img;
  const fg = opts.foreground ?? null;
  if (fg && (fg.width !== w || fg.height !== h)) {
    throw new RangeError(`synthesizeAnomaly: foreground is ${fg.width}x${fg.height}, image is ${w}x${h}`);
  }
  const fgEmpty = fg !== null && !fg.data.some((v) => v > 0.5);
  const within = fg && !fgEmpty ? fg : null;
  const base = {
    seed,
    requestedKind: opts.kind,
    foreground: fg === null ? 'none' : fgEmpty ? 'empty-ignored' : 'given',
  } as const;

  if (rng.next() < (opts.normalProbability ?? 0)) {
    const params: SynthParams = { ...base, kind: 'normal', maskArea: 0, maskFraction: 0 };
    return { image: { width: w, height: h, data: new Float32Array(img.data) }, mask: { width: w, height: h, data: new Float32Array(w * h) }, params };
  }
  const kind = opts.kind === 'mixed' ? (rng.bool(0.5) ? 'texture' : 'structural') : opts.kind;
  const { mask, params: perlin } = perlinMaskDetailed(w, h, rng, { ...opts.perlin, within });
  const [lo, hi] = opts.betaRange ?? [0, 0.8];
  const beta = rng.uniform(lo, hi);

  let source: RgbImage;
  const params: SynthParams = { ...base, kind, beta, perlin, maskArea: perlin.area, maskFraction: perlin.area / (w * h) };
  if (kind === 'texture') {
    if (!opts.textures) throw new RangeError(`synthesizeAnomaly: kind '${opts.kind}' needs a TextureBank`);
    const picked = opts.textures.pickDetailed(rng);
    const tex = picked.image.width === w && picked.image.height === h ? picked.image : resizeImage(picked.image, w, h);
    const aug = augmentTexture(tex, rng);
    source = aug.image;
    params.texture = { index: picked.index, name: picked.name, augment: aug.ops };
  } else {
    const s = structuralSource(img, rng);
    source = s.image;
    params.structural = s.params;
  }
  return { image: blendUnderMask(img, source, mask, beta), mask, params };
}

/** DRAEM's blend: img * (1 - m) + (1 - beta) * src * m + beta * img * m. */
export function blendUnderMask(img: RgbImage, src: RgbImage, mask: Mask, beta: number): RgbImage {
  const out = new Float32Array(img.data.length);
  for (let i = 0; i < mask.data.length; i++) {
    const m = mask.data[i] as number;
    for (let c = 0; c < 3; c++) {
      const o = 3 * i + c;
      const a = img.data[o] as number;
      out[o] = a * (1 - m) + (1 - beta) * (src.data[o] as number) * m + beta * a * m;
    }
  }
  return { width: img.width, height: img.height, data: out };
}
