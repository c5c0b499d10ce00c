// The validation data of one category for build-perfmap, never from the test split: the train-split defects
// where the dataset has them (ManuDefect-21 style) or else synthetic defects, plus a seeded hold-out of train
// normals. Streams decoded items at one size; the plan holds paths and seeds only.
import { MadenetError } from '../core/errors.js';
import { samplesOf, type Dataset, type Sample } from '../io/dataset.js';
import { streamSamples } from '../io/sample-stream.js';
import { sampleKey } from '../io/tiles.js';
import type { Mask, RgbImage } from '../io/image.js';
import { Rng, hashSeed } from '../core/random.js';
import { foregroundMask } from '../synth/foreground.js';
import { synthesizeAnomalyFromSeed } from '../synth/anomaly.js';
import type { TextureBank } from '../synth/texture-bank.js';
import { holdOut } from '../train/data.js';
import type { ValidationSource } from './schema.js';

/** Synthetic defects made from each held-out normal (more defects steady the AUROC on small hold-outs). */
export const SYNTHETIC_PER_NORMAL = 2;

export interface ValidationPlan {
  category: string;
  source: ValidationSource;
  /** Held-out train normals (or the normals of --validation-data). */
  normals: Sample[];
  /** Real defects (source 'train-defects' or 'validation-data'). */
  defects: Sample[];
  /** Synthetic defects: a held-out normal and the seed that reproduces its defect (source 'synthetic'). */
  synthetic: { sample: Sample; seed: number }[];
}

export interface ValidationItem {
  path: string;
  label: 0 | 1;
  /** [V,V,3] in [0,1]. */
  image: RgbImage;
  /** [V,V] in {0,1} for a defect with a mask, null otherwise. */
  mask: Mask | null;
}

export interface PlanOptions {
  valFraction: number;
  seed: number;
  /** Most real defects used (a seeded subset beyond it). */
  maxDefects?: number;
  /** Most held-out normals (holdOut's own default is 64). */
  maxNormals?: number;
}

export function planValidation(dataset: Pick<Dataset, 'samples'>, category: string, opts: PlanOptions): ValidationPlan {
  if (!(opts.valFraction > 0 && opts.valFraction < 1)) {
    throw new MadenetError('E_USAGE', `--val-fraction is ${opts.valFraction}; expected a number in (0, 1).`);
  }
  const trainNormals = samplesOf(dataset, { category, split: 'train', label: 0 });
  if (trainNormals.length < 2) {
    throw new MadenetError('E_DATASET', `Category ${category} has ${trainNormals.length} normal training image(s); expected at least 2, so that some can be held out for validation.`);
  }
  const normals = holdOut(trainNormals, opts.valFraction, opts.seed, opts.maxNormals ?? 64).validation;
  // Only the held-out train defects (the same holdOut call as finetune's), so that a fine-tuned submodel is never
  // validated on defects it was trained on.
  const trainDefects = samplesOf(dataset, { category, split: 'train', label: 1 });
  const defects = trainDefects.length === 0 ? [] : holdOut(trainDefects, opts.valFraction, opts.seed, opts.maxDefects ?? 64).validation;
  if (defects.length > 0) return { category, source: 'train-defects', normals, defects, synthetic: [] };
  const rng = new Rng(hashSeed(`${opts.seed}:${category}:synthetic`));
  const synthetic = normals.flatMap((sample) => Array.from({ length: SYNTHETIC_PER_NORMAL }, () => ({ sample, seed: rng.nextU32() })));
  return { category, source: 'synthetic', normals, defects: [], synthetic };
}

/**
 * The plan from a separate labelled folder of real defects (build-perfmap --validation-data), or null when that
 * folder has no defect of the category. Every defect of the category in it is used (any split; masks optional);
 * its normals too, or else the usual seeded hold-out of train normals of `dataset` when it has none.
 */
export function planFromValidationData(
  validation: Pick<Dataset, 'samples'>,
  dataset: Pick<Dataset, 'samples'>,
  category: string,
  opts: PlanOptions,
): ValidationPlan | null {
  const defects = validation.samples.filter((s) => s.category === category && s.label === 1);
  if (defects.length === 0) return null;
  const own = validation.samples.filter((s) => s.category === category && s.label === 0);
  const normals = own.length > 0 ? own : planValidation(dataset, category, opts).normals;
  return { category, source: 'validation-data', normals, defects, synthetic: [] };
}

export function defectCount(plan: ValidationPlan): number {
  return plan.defects.length + plan.synthetic.length;
}

export interface StreamValidationOptions {
  size: number;
  textures: TextureBank;
  concurrency?: number;
}

/** Defects only (pass 1 of the exact pixel metrics), everything, defects first (pass 2), or the normals alone. */
export async function* streamValidation(plan: ValidationPlan, part: 'defects' | 'all' | 'normals', opts: StreamValidationOptions): AsyncGenerator<ValidationItem> {
  const decodeOpts = { size: opts.size, withMasks: true, ...(opts.concurrency ? { concurrency: opts.concurrency } : {}) };
  if (part === 'normals') {
    // Pass 2 after a pass 1 that kept its defects' maps: the defects are not decoded, synthesised or scored again.
  } else if (plan.source !== 'synthetic') {
    for await (const d of streamSamples(plan.defects, decodeOpts)) yield { path: sampleKey(d.sample), label: 1, image: d.image, mask: d.mask };
  } else {
    // Each normal is decoded once and gives its SYNTHETIC_PER_NORMAL defects in a row.
    const seeds = new Map<string, number[]>();
    // Keyed by sampleKey: the tiles of one image are separate sources.
    for (const s of plan.synthetic) seeds.set(sampleKey(s.sample), [...(seeds.get(sampleKey(s.sample)) ?? []), s.seed]);
    const sources = plan.normals.filter((s) => seeds.has(sampleKey(s)));
    for await (const d of streamSamples(sources, decodeOpts)) {
      const foreground = foregroundMask(d.image);
      for (const seed of seeds.get(sampleKey(d.sample)) ?? []) {
        const synth = synthesizeAnomalyFromSeed(d.image, seed, { kind: 'mixed', textures: opts.textures, foreground });
        yield { path: `${sampleKey(d.sample)}#synthetic-${seed}`, label: 1, image: synth.image, mask: synth.mask };
      }
    }
  }
  if (part === 'defects') return;
  for await (const d of streamSamples(plan.normals, decodeOpts)) yield { path: sampleKey(d.sample), label: 0, image: d.image, mask: null };
}
