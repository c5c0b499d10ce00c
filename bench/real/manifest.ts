// Joins the discovered categories, which may sit in different collections (mvtec_ad_reduced/, mpdd/), into one
// dataset manifest (.jsonl of absolute paths) so that one classifier and one performance map cover them all.
// Lists files only; the images stay where they are.
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import sharp from 'sharp';
import { loadDataset } from '../../src/pipeline/io/dataset.js';
import type { FoundCategory } from './discover.js';

export interface CategoryCounts {
  trainNormals: number;
  trainDefects: number;
  testNormals: number;
  testDefects: number;
  /** Native resolution of the first train image, e.g. '256x256'. */
  resolution: string;
  /** Layout errors (e.g. a defect without its mask), as loadDataset reports them. */
  errors: string[];
}

export interface CombinedCategories {
  counts: Record<string, CategoryCounts>;
  /** Manifest rows (JSONL lines) per category name. */
  rows: Record<string, string[]>;
}

/** Lists every category's images (and reads one image header for its resolution); writes nothing. */
export async function readCategories(categories: readonly FoundCategory[]): Promise<CombinedCategories> {
  const counts: Record<string, CategoryCounts> = {};
  const rows: Record<string, string[]> = {};
  for (const c of categories) {
    const ds = await loadDataset(c.dir);
    const n = (split: string, label: number): number => ds.samples.filter((s) => s.split === split && s.label === label).length;
    const first = ds.samples.find((s) => s.split === 'train');
    const meta = first ? await sharp(first.path).metadata() : undefined;
    counts[c.name] = {
      trainNormals: n('train', 0),
      trainDefects: n('train', 1),
      testNormals: n('test', 0),
      testDefects: n('test', 1),
      resolution: meta?.width && meta.height ? `${meta.width}x${meta.height}` : 'unknown',
      errors: ds.problems.filter((p) => p.severity === 'error').map((p) => p.message),
    };
    rows[c.name] = ds.samples.map((s) =>
      JSON.stringify({ path: s.path, category: c.name, split: s.split, label: s.label, defect_type: s.defectType, mask: s.maskPath ?? '' }),
    );
  }
  return { counts, rows };
}

/** One manifest of the named categories (in the given order). */
export async function writeManifest(combined: CombinedCategories, names: readonly string[], file: string): Promise<void> {
  await mkdir(dirname(file), { recursive: true });
  await writeFile(file, `${names.flatMap((n) => combined.rows[n] ?? []).join('\n')}\n`);
}
