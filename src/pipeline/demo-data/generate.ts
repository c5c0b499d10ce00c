// Writes the procedural demo dataset to disk in the ManuDefect-21 layout (MVTec AD plus defective training
// images) with exact 0/255 grey masks and a demo.json description; refuses to overwrite unrelated folders.
import { isLockEntry } from '../artifacts/lock.js';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import { MadenetError } from '../core/errors.js';
import { usageError } from './usage-error.js';
import { CATEGORY_MODELS } from './categories/index.js';
import { checkCounts, DEFAULT_DEMO_COUNTS, defectTypesFor, defectTypesOf, demoPlan, resolveCategories, type DemoCounts } from './plan.js';
import { checkPanel, renderDemoPanel } from './panel.js';
import { checkSize, DEMO_MASK_THRESHOLD } from './render-sample.js';
import type { DemoCategory, DemoDefectType } from './types.js';

export const DEMO_GENERATOR = 'madenet-demo';
export const DEMO_FORMAT_VERSION = 1;

export interface DemoDatasetOptions {
  out: string;
  seed?: number;
  size?: number;
  /** Cells per side of a panel of parts (see panel.ts): images of (size x panel) px, the defect in one cell; default 1. */
  panel?: number;
  /** Only these defect types (of each category's own); default all of them. */
  defectTypes?: readonly DemoDefectType[];
  /** Normal training images per category (default 60). */
  perCategory?: number;
  /** Normal test images per category (default 16). */
  testPerCategory?: number;
  /** Defective training images per category (default 12). */
  defectsPerCategory?: number;
  /** Defective test images per category (default 16). */
  testDefectsPerCategory?: number;
  /** Category names (any case); all eleven when omitted. */
  categories?: readonly string[];
  /** Write into a non-empty folder that is not a previous demo output. */
  force?: boolean;
  /** PNG encodings in flight while the next image renders (default 4). */
  concurrency?: number;
  onProgress?: (done: number, total: number) => void;
}

export interface DemoCategoryCounts {
  defectTypes: DemoDefectType[];
  /** Image counts by type ('good' or a defect type). */
  train: Record<string, number>;
  test: Record<string, number>;
}

/** The content of demo.json (and, with `out`, the result of generateDemoDataset). */
export interface DemoDatasetDescription {
  generator: typeof DEMO_GENERATOR;
  formatVersion: number;
  complete: boolean;
  layout: string;
  seed: number;
  /** Side of one part in pixels; images are size x panel px square. */
  size: number;
  panel: number;
  perCategory: DemoCounts;
  /** A mask pixel is set where some channel of the defective image differs from its good twin by more than this. */
  maskThreshold: number;
  categories: DemoCategory[];
  defectTypes: DemoDefectType[];
  counts: Record<string, DemoCategoryCounts>;
  images: number;
  masks: number;
}

export interface DemoDatasetSummary extends DemoDatasetDescription {
  out: string;
}

export async function generateDemoDataset(options: DemoDatasetOptions): Promise<DemoDatasetSummary> {
  const seed = options.seed ?? 42;
  const size = options.size ?? 128;
  if (!Number.isInteger(seed)) throw usageError(`Expected the seed to be an integer, but got ${seed}.`);
  checkSize(size);
  const panel = options.panel ?? 1;
  checkPanel(panel);
  const side = size * panel;
  const counts: DemoCounts = {
    trainGood: options.perCategory ?? DEFAULT_DEMO_COUNTS.trainGood,
    trainDefect: options.defectsPerCategory ?? DEFAULT_DEMO_COUNTS.trainDefect,
    testGood: options.testPerCategory ?? DEFAULT_DEMO_COUNTS.testGood,
    testDefect: options.testDefectsPerCategory ?? DEFAULT_DEMO_COUNTS.testDefect,
  };
  checkCounts(counts);
  const categories = resolveCategories(options.categories);
  const out = path.resolve(options.out);
  await prepareOutDir(out, categories, options.force ?? false);

  const description: DemoDatasetDescription = {
    generator: DEMO_GENERATOR,
    formatVersion: DEMO_FORMAT_VERSION,
    complete: false,
    layout: 'ManuDefect-21: <CAT>/{train,test}/{good,<defect>}/*.png, <CAT>/ground_truth/<defect>/<stem>_mask.png',
    seed,
    size,
    panel,
    perCategory: counts,
    maskThreshold: DEMO_MASK_THRESHOLD,
    categories,
    defectTypes: defectTypesOf(categories).filter((d) => categories.some((c) => defectTypesFor(c, options.defectTypes).includes(d))),
    counts: {},
    images: 0,
    masks: 0,
  };
  // Written first (incomplete) so that an interrupted run is still recognised as demo output next time.
  await writeDescription(out, description);

  const total = categories.length * (counts.trainGood + counts.trainDefect + counts.testGood + counts.testDefect);
  const limit = Math.max(1, options.concurrency ?? 4);
  const pending: Promise<void>[] = [];
  const madeDirs = new Set<string>();
  let done = 0;
  try {
    for (const item of demoPlan(seed, categories, counts, options.defectTypes)) {
      const sample = renderDemoPanel(item.category, item.seed, size, panel, item.defect);
      const c = (description.counts[item.category] ??= { defectTypes: [...defectTypesFor(item.category, options.defectTypes)], train: {}, test: {} });
      const key = item.defect ?? 'good';
      c[item.split][key] = (c[item.split][key] ?? 0) + 1;
      const files: [string, Promise<Buffer>][] = [[item.image, encodeRgb(sample.rgb8, side)]];
      if (item.mask) files.push([item.mask, encodeGrey(sample.mask8, side)]);
      for (const [rel] of files) {
        const dir = path.dirname(path.join(out, rel));
        if (!madeDirs.has(dir)) {
          await mkdir(dir, { recursive: true });
          madeDirs.add(dir);
        }
      }
      pending.push(
        Promise.all(files.map(async ([rel, png]) => writeFile(path.join(out, rel), await png))).then(() => {
          done++;
          options.onProgress?.(done, total);
        }),
      );
      description.images++;
      if (item.mask) description.masks++;
      // Bounded work in flight: wait for the oldest encode before rendering more.
      if (pending.length >= limit) await pending.shift();
    }
    await Promise.all(pending);
  } catch (err) {
    // Let the writes still in flight settle so none of them rejects unobserved.
    await Promise.allSettled(pending);
    throw err;
  }
  description.complete = true;
  await writeDescription(out, description);
  return { ...description, out };
}

function encodeRgb(rgb8: Uint8Array, size: number): Promise<Buffer> {
  return sharp(Buffer.from(rgb8.buffer, rgb8.byteOffset, rgb8.byteLength), { raw: { width: size, height: size, channels: 3 } })
    .png({ compressionLevel: 6, adaptiveFiltering: false })
    .toBuffer();
}

function encodeGrey(mask8: Uint8Array, size: number): Promise<Buffer> {
  return sharp(Buffer.from(mask8.buffer, mask8.byteOffset, mask8.byteLength), { raw: { width: size, height: size, channels: 1 } })
    .toColourspace('b-w')
    .png({ compressionLevel: 6, adaptiveFiltering: false })
    .toBuffer();
}

async function writeDescription(out: string, description: DemoDatasetDescription): Promise<void> {
  await writeFile(path.join(out, 'demo.json'), `${JSON.stringify(description, null, 2)}\n`);
}

/** Reads demo.json when `dir` holds a previous demo output, else null. */
export async function readDemoDescription(dir: string): Promise<DemoDatasetDescription | null> {
  let text: string;
  try {
    text = await readFile(path.join(dir, 'demo.json'), 'utf8');
  } catch {
    return null;
  }
  try {
    const parsed = JSON.parse(text) as Partial<DemoDatasetDescription>;
    return parsed.generator === DEMO_GENERATOR && Array.isArray(parsed.categories) ? (parsed as DemoDatasetDescription) : null;
  } catch {
    return null;
  }
}

/**
 * Makes `out` ready: creates it when missing; for a previous demo output removes that output's category
 * folders (so no stale images remain); for any other non-empty folder requires `force` and then replaces
 * only the category folders about to be written.
 */
async function prepareOutDir(out: string, categories: readonly DemoCategory[], force: boolean): Promise<void> {
  let entries: string[];
  try {
    entries = await readdir(out);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      await mkdir(out, { recursive: true });
      return;
    }
    if ((err as NodeJS.ErrnoException).code === 'ENOTDIR') {
      throw new MadenetError('E_EXISTS', `Cannot write the demo dataset to ${out}: it is a file; expected a folder.`);
    }
    throw err;
  }
  // The lock this run holds on the folder is not content.
  if (entries.filter((e) => !isLockEntry(e)).length === 0) return;
  const previous = await readDemoDescription(out);
  if (!previous && !force) {
    throw new MadenetError('E_EXISTS', `Refusing to write the demo dataset into ${out}: the folder is not empty and holds no previous demo output (demo.json).`, {
      suggestions: ['Choose an empty or new folder with --out.', 'Or pass --force to write into it anyway (category folders of the same name are replaced).'],
    });
  }
  const stale = new Set<string>(categories);
  if (previous) for (const c of previous.categories) if ((CATEGORY_MODELS as Record<string, unknown>)[c]) stale.add(c);
  for (const c of stale) await rm(path.join(out, c), { recursive: true, force: true });
}
