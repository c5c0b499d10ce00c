// What a demo dataset contains: for each category, split and defect type, the image indices, their per-image
// seeds and their relative paths in the ManuDefect-21 layout. Pure bookkeeping, no rendering or I/O.
import { usageError } from './usage-error.js';
import { hashSeed } from '../core/random.js';
import { CATEGORY_MODELS } from './categories/index.js';
import { DEMO_CATEGORIES, DEMO_DEFECT_TYPES, type DemoCategory, type DemoDefectType } from './types.js';

export interface DemoCounts {
  /** Normal training images per category. */
  trainGood: number;
  /** Defective training images per category, spread round-robin over its defect types. */
  trainDefect: number;
  testGood: number;
  testDefect: number;
}

export const DEFAULT_DEMO_COUNTS: DemoCounts = { trainGood: 60, trainDefect: 12, testGood: 16, testDefect: 16 };

export type DemoSplit = 'train' | 'test';

export interface DemoItem {
  category: DemoCategory;
  split: DemoSplit;
  defect: DemoDefectType | null;
  /** Index among the images of this (category, split, type). */
  index: number;
  seed: number;
  /** Paths relative to the dataset root, with '/' separators. */
  image: string;
  mask: string | null;
}

/** The seed of one image: a function of the dataset seed and the image's identity only. */
export function demoItemSeed(seed: number, category: DemoCategory, split: DemoSplit, defect: DemoDefectType | null, index: number): number {
  return hashSeed(`${category}/${split}/${defect ?? 'good'}/${index}`, seed);
}

/** Upper-cased, de-duplicated categories in canonical order; all of them when none are given. */
export function resolveCategories(names: readonly string[] | undefined): DemoCategory[] {
  if (!names || names.length === 0) return [...DEMO_CATEGORIES];
  const wanted = new Set<string>();
  for (const raw of names) {
    const name = raw.trim().toUpperCase();
    if (name === '') continue;
    if (!(DEMO_CATEGORIES as readonly string[]).includes(name)) {
      throw usageError(`Unknown demo category: ${raw}; expected one of ${DEMO_CATEGORIES.join(', ')}.`, [`Use e.g. --category ${DEMO_CATEGORIES.slice(0, 3).join(',')}`]);
    }
    wanted.add(name);
  }
  if (wanted.size === 0) throw usageError('Expected at least one demo category, but the list was empty.');
  return DEMO_CATEGORIES.filter((c) => wanted.has(c));
}

export function checkCounts(counts: DemoCounts): void {
  for (const [key, value] of Object.entries(counts)) {
    if (!Number.isInteger(value) || value < 0 || value > 100000) {
      throw usageError(`Expected the demo count ${key} to be an integer from 0 to 100000, but got ${value}.`);
    }
  }
  if (counts.trainGood < 1) throw usageError(`Expected at least 1 normal training image per category, but got ${counts.trainGood}.`);
}

/** Every image of the dataset, category by category, in a fixed order. */
export function* demoPlan(seed: number, categories: readonly DemoCategory[], counts: DemoCounts, only?: readonly DemoDefectType[]): Generator<DemoItem> {
  const width = String(Math.max(counts.trainGood, counts.trainDefect, counts.testGood, counts.testDefect)).length;
  const stem = (split: DemoSplit, i: number): string => `${split}_${String(i).padStart(Math.max(3, width), '0')}`;
  for (const category of categories) {
    const types = defectTypesFor(category, only);
    for (const split of ['train', 'test'] as const) {
      const good = split === 'train' ? counts.trainGood : counts.testGood;
      for (let i = 0; i < good; i++) {
        const s = stem(split, i);
        yield { category, split, defect: null, index: i, seed: demoItemSeed(seed, category, split, null, i), image: `${category}/${split}/good/${s}.png`, mask: null };
      }
      const bad = split === 'train' ? counts.trainDefect : counts.testDefect;
      for (let j = 0; j < bad; j++) {
        const defect = types[j % types.length] as DemoDefectType;
        const i = Math.floor(j / types.length);
        const s = stem(split, i);
        yield {
          category,
          split,
          defect,
          index: i,
          seed: demoItemSeed(seed, category, split, defect, i),
          image: `${category}/${split}/${defect}/${s}.png`,
          mask: `${category}/ground_truth/${defect}/${s}_mask.png`,
        };
      }
    }
  }
}

/** Defect types used by the given categories, in canonical order. */
export function defectTypesOf(categories: readonly DemoCategory[]): DemoDefectType[] {
  const used = new Set(categories.flatMap((c) => CATEGORY_MODELS[c].defects));
  return DEMO_DEFECT_TYPES.filter((d) => used.has(d));
}

/** A category's defect types, or those of them in `only` (e.g. the small ones); refused when none is left. */
export function defectTypesFor(category: DemoCategory, only?: readonly DemoDefectType[]): readonly DemoDefectType[] {
  const all = CATEGORY_MODELS[category].defects;
  if (!only || only.length === 0) return all;
  for (const d of only) {
    if (!(DEMO_DEFECT_TYPES as readonly string[]).includes(d)) throw usageError(`Unknown demo defect type: ${d}; expected some of ${DEMO_DEFECT_TYPES.join(', ')}.`);
  }
  const kept = all.filter((d) => only.includes(d));
  if (kept.length === 0) throw usageError(`Demo category ${category} has none of the defect types ${only.join(', ')}; expected some of ${all.join(', ')}.`);
  return kept;
}
