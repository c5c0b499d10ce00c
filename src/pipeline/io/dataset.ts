// Loads a dataset from a root holding many categories, one category directory, or a manifest (.csv/.jsonl)
// into Samples (paths and labels, nothing decoded) plus every Problem found; selection and fingerprints.
import { createHash } from 'node:crypto';
import { statSync } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { basename, dirname, join, relative, resolve, sep } from 'node:path';
import { MadenetError } from '../core/errors.js';
import type { Dataset, Problem, Sample, Split } from './dataset-types.js';
import { isManifestPath, loadManifest } from './manifest.js';
import { isCategoryDir, isDirEntry, scanCategory } from './mvtec-layout.js';

export type { Dataset, DatasetLayout, Problem, ProblemSeverity, Sample, Split } from './dataset-types.js';
export { streamSamples } from './sample-stream.js';
export type { DecodedSample, StreamSamplesOptions } from './sample-stream.js';

export interface LoadDatasetOptions {
  /** Keep only these categories; an unknown name is an error listing the available ones. */
  categories?: string[];
}

const LAYOUT_HELP = [
  'Expected <root>/<category>/train/good/*.png and <root>/<category>/test/<type>/*.png (MVTec AD layout),',
  'a single <category> directory, or a manifest .csv/.jsonl with columns path, category, split, label, defect_type, mask.',
].join(' ');

export async function loadDataset(root: string, opts: LoadDatasetOptions = {}): Promise<Dataset> {
  const abs = resolve(root);
  const info = await stat(abs).catch(() => undefined);
  if (!info) {
    throw new MadenetError('E_NOT_FOUND', `Dataset ${root} does not exist; expected a directory or a manifest file.`);
  }
  let samples: Sample[] = [];
  let problems: Problem[] = [];
  let layout: Dataset['layout'];
  if (info.isFile()) {
    if (!isManifestPath(abs)) {
      throw new MadenetError('E_DATASET', `Dataset ${root} is a file but not a .csv/.jsonl manifest. ${LAYOUT_HELP}`);
    }
    ({ samples, problems } = await loadManifest(abs));
    layout = 'manifest';
  } else {
    const dirs = (await isCategoryDir(abs)) ? [abs] : await categoryDirs(abs);
    if (dirs.length === 0) throw new MadenetError('E_DATASET', `No categories found in ${root}. ${LAYOUT_HELP}`);
    const wanted = opts.categories ? selectDirs(dirs, opts.categories, root) : dirs;
    for (const dir of wanted) {
      const found = await scanCategory(dir, basename(dir));
      samples.push(...found.samples);
      problems.push(...found.problems);
    }
    layout = 'mvtec';
  }
  if (layout === 'manifest' && opts.categories) {
    const known = new Set(samples.map((s) => s.category));
    const missing = opts.categories.filter((c) => !known.has(c));
    if (missing.length > 0) throw unknownCategories(missing, [...known].sort(), root);
    samples = samples.filter((s) => opts.categories?.includes(s.category));
    problems = problems.filter((p) => p.category === undefined || opts.categories?.includes(p.category));
  }
  samples.sort(compareSamples);
  const categories =
    layout === 'mvtec' ? [...new Set(problems.map((p) => p.category as string).concat(samples.map((s) => s.category)))] : [...new Set(samples.map((s) => s.category))];
  return { root: abs, layout, categories: categories.sort(), samples, problems };
}

async function categoryDirs(root: string): Promise<string[]> {
  const entries = await readdir(root, { withFileTypes: true });
  const dirs: string[] = [];
  for (const e of entries.filter((x) => !x.name.startsWith('.')).sort(byName)) {
    if ((await isDirEntry(root, e)) && (await isCategoryDir(join(root, e.name)))) dirs.push(join(root, e.name));
  }
  return dirs;
}

function selectDirs(dirs: string[], categories: string[], root: string): string[] {
  const byCategory = new Map(dirs.map((d) => [basename(d), d]));
  const missing = categories.filter((c) => !byCategory.has(c));
  if (missing.length > 0) throw unknownCategories(missing, [...byCategory.keys()], root);
  return [...new Set(categories)].sort().map((c) => byCategory.get(c) as string);
}

function unknownCategories(missing: string[], available: string[], root: string): MadenetError {
  return new MadenetError(
    'E_DATASET',
    `Category ${missing.join(', ')} not found in ${root}; expected one of: ${available.join(', ') || '(none)'}.`,
  );
}

export interface SampleFilter {
  category?: string;
  split?: Split;
  label?: 0 | 1;
  defectType?: string;
}

export function samplesOf(ds: Pick<Dataset, 'samples'>, filter: SampleFilter): Sample[] {
  return ds.samples.filter(
    (s) =>
      (filter.category === undefined || s.category === filter.category) &&
      (filter.split === undefined || s.split === filter.split) &&
      (filter.label === undefined || s.label === filter.label) &&
      (filter.defectType === undefined || s.defectType === filter.defectType),
  );
}

/**
 * How a category's defects are annotated: 'pixel' (every defect image has a mask), 'image' (defect images but no
 * mask at all: good/defective labels only), 'mixed' (some masks), 'none' (no defect image). Pixel metrics exist
 * only for the masked defects; an 'image' category is evaluated and routed on image metrics alone.
 */
export type AnnotationLevel = 'pixel' | 'image' | 'mixed' | 'none';

export interface Annotation {
  level: AnnotationLevel;
  defects: number;
  masked: number;
}

export function annotationOf(samples: readonly Sample[]): Annotation {
  const defects = samples.filter((s) => s.label === 1);
  const masked = defects.filter((s) => s.maskPath !== null).length;
  const level: AnnotationLevel = defects.length === 0 ? 'none' : masked === defects.length ? 'pixel' : masked === 0 ? 'image' : 'mixed';
  return { level, defects: defects.length, masked };
}

/** One line for outputs: how many defects have masks and what that means for the metrics. */
export function describeAnnotation(category: string, a: Annotation, what = 'defect images'): string | null {
  if (a.level === 'image') return `${category}: image-level labels (${a.defects} ${what}, none with a mask): image metrics only, pixel metrics n/a.`;
  if (a.level === 'mixed') return `${category}: ${a.masked} of ${a.defects} ${what} have a mask: pixel metrics cover those ${a.masked} only.`;
  return null;
}

/**
 * sha256 over every sample's labels, its path relative to its category's common directory, and the byte
 * sizes of its image and mask. Paths are relative so that a moved or copied dataset keeps its fingerprint;
 * mtimes are left out because copies and checkouts change them; contents are not hashed so that this stays
 * cheap (one stat per file) on datasets of many gigabytes. A missing file counts with size -1.
 */
export function datasetFingerprint(samples: readonly Sample[]): string {
  const bases = new Map<string, string>();
  for (const category of new Set(samples.map((s) => s.category))) {
    const paths = samples.filter((s) => s.category === category).flatMap((s) => (s.maskPath ? [s.path, s.maskPath] : [s.path]));
    bases.set(category, commonDir(paths));
  }
  const rel = (category: string, p: string): string => relative(bases.get(category) as string, p).split(sep).join('/');
  const lines = samples.map((s) =>
    [
      s.category,
      s.split,
      s.label,
      s.defectType,
      rel(s.category, s.path),
      sizeOf(s.path),
      s.maskPath ? rel(s.category, s.maskPath) : '',
      s.maskPath ? sizeOf(s.maskPath) : '',
    ].join('\t'),
  );
  lines.sort();
  const hash = createHash('sha256').update('madenet-dataset-fingerprint-v1\n');
  for (const line of lines) hash.update(`${line}\n`);
  return hash.digest('hex');
}

function sizeOf(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return -1;
  }
}

function commonDir(paths: string[]): string {
  if (paths.length === 0) return '';
  let parts = dirname(paths[0] as string).split(sep);
  for (const p of paths) {
    const other = dirname(p).split(sep);
    let i = 0;
    while (i < parts.length && i < other.length && parts[i] === other[i]) i++;
    parts = parts.slice(0, i);
  }
  return parts.join(sep) || sep;
}

const SPLIT_ORDER: Record<Split, number> = { train: 0, test: 1 };

function compareSamples(a: Sample, b: Sample): number {
  if (a.category !== b.category) return a.category < b.category ? -1 : 1;
  if (a.split !== b.split) return SPLIT_ORDER[a.split] - SPLIT_ORDER[b.split];
  return a.path < b.path ? -1 : a.path > b.path ? 1 : 0;
}

function byName(a: { name: string }, b: { name: string }): number {
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}
