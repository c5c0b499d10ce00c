// Renders one demo sample in memory: the picture for (category, seed, size) and, for a defect, its exact
// ground-truth mask = the pixels where the defective picture differs from its defect-free twin.
import { MadenetError } from '../core/errors.js';
import { usageError } from './usage-error.js';
import type { Mask, RgbImage } from '../io/image.js';
import { Rng, hashSeed } from '../core/random.js';
import { CATEGORY_MODELS } from './categories/index.js';
import { sampleDefect, type DemoDefect } from './defects.js';
import { buildScene, renderScene } from './scene.js';
import { DEMO_CATEGORIES, type CategoryModel, type DemoCategory, type DemoDefectType } from './types.js';
// Module-level aliases: global lookups (Math) are very slow inside Jest's vm contexts, and these run per pixel.
const { abs, max, round } = Math;

/** A pixel belongs to the mask when some channel differs from the twin by more than this (in [0,1]; 8-bit steps are 1/255). */
export const DEMO_MASK_THRESHOLD = 7.5 / 255;
export const DEMO_MIN_SIZE = 32;
export const DEMO_MAX_SIZE = 512;
const MAX_ATTEMPTS = 12;

export interface DemoSample {
  category: DemoCategory;
  seed: number;
  size: number;
  defect: DemoDefectType | null;
  /** HWC in [0,1], exactly the 8-bit values divided by 255. */
  image: RgbImage;
  /** 1 where the defect changed the picture, else 0 (all zero for a good sample). */
  mask: Mask;
  /** The same picture as 8-bit HWC RGB, and the mask as 8-bit 0/255, ready to encode. */
  rgb8: Uint8Array;
  mask8: Uint8Array;
  /** The sampled defect parameters (null for a good sample). */
  params: DemoDefect | null;
}

export function demoModel(category: string): CategoryModel {
  const model = (CATEGORY_MODELS as Partial<Record<string, CategoryModel>>)[category];
  if (!model) {
    throw usageError(`Unknown demo category: ${category}; expected one of ${DEMO_CATEGORIES.join(', ')}.`, [`Pick categories from: ${DEMO_CATEGORIES.join(',')}`]);
  }
  return model;
}

/** The defect types a demo category can show. */
export function demoDefectsFor(category: DemoCategory): readonly DemoDefectType[] {
  return demoModel(category).defects;
}

/**
 * Renders one sample. Pure: the same (category, seed, size, defect) gives the same bytes. A defective sample and
 * the good sample of the same seed show the same board, part and lighting; only the defect differs.
 */
export function renderDemoSample(category: DemoCategory, seed: number, size: number, defect: DemoDefectType | null): DemoSample {
  const { rgb8, mask8, params } = renderDemoBytes(category, seed, size, defect);
  const img = new Float32Array(rgb8.length);
  for (let i = 0; i < rgb8.length; i++) img[i] = (rgb8[i] as number) / 255;
  const m = new Float32Array(mask8.length);
  for (let i = 0; i < mask8.length; i++) m[i] = mask8[i] ? 1 : 0;
  return { category, seed, size, defect, image: { width: size, height: size, data: img }, mask: { width: size, height: size, data: m }, rgb8, mask8, params };
}

/** renderDemoSample without the float copies (what the dataset writer encodes). */
export function renderDemoBytes(category: DemoCategory, seed: number, size: number, defect: DemoDefectType | null): Pick<DemoSample, 'rgb8' | 'mask8' | 'params'> {
  const model = demoModel(category);
  checkSize(size);
  const scene = buildScene(model, seed, size);
  const good = renderScene(scene, null);
  if (defect === null) return { rgb8: good, mask8: new Uint8Array(size * size), params: null };
  if (!model.defects.includes(defect)) {
    throw usageError(`Demo category ${category} has no defect type ${defect}; expected one of ${model.defects.join(', ')}.`);
  }
  const rng = new Rng(hashSeed(`defect:${defect}`, seed));
  // A defect drawn where it changes too little (a solder ball on a same-coloured spot, a tiny picture) is redrawn;
  // when every try stays small (fixed-size defects in tiny pictures) the largest non-empty one is kept.
  const minArea = max(2, round(size * size * 0.0012));
  let best: { rgb8: Uint8Array; mask8: Uint8Array; params: DemoDefect; area: number } | null = null;
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const params = sampleDefect(defect, rng, scene.part.layout, size);
    const bad = renderScene(scene, params);
    const { mask8, area } = diffMask(good, bad, size);
    if (area >= minArea) return { rgb8: bad, mask8, params };
    if (area > (best?.area ?? 0)) best = { rgb8: bad, mask8, params, area };
  }
  if (best) return { rgb8: best.rgb8, mask8: best.mask8, params: best.params };
  throw new MadenetError('E_INTERNAL', `Demo defect ${defect} on ${category} (seed ${seed}, size ${size}) left the picture unchanged after ${MAX_ATTEMPTS} tries.`);
}

export function checkSize(size: number): void {
  if (!Number.isInteger(size) || size < DEMO_MIN_SIZE || size > DEMO_MAX_SIZE) {
    throw usageError(`Expected the demo image size to be an integer from ${DEMO_MIN_SIZE} to ${DEMO_MAX_SIZE}, but got ${size}.`);
  }
}

function diffMask(good: Uint8Array, bad: Uint8Array, size: number): { mask8: Uint8Array; area: number } {
  const mask8 = new Uint8Array(size * size);
  const t = DEMO_MASK_THRESHOLD * 255;
  let area = 0;
  for (let p = 0; p < mask8.length; p++) {
    const i = p * 3;
    const d = max(
      abs((good[i] as number) - (bad[i] as number)),
      abs((good[i + 1] as number) - (bad[i + 1] as number)),
      abs((good[i + 2] as number) - (bad[i + 2] as number)),
    );
    if (d > t) {
      mask8[p] = 255;
      area++;
    }
  }
  return { mask8, area };
}
