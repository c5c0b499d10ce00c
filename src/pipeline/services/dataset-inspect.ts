// `madenet dataset inspect`: loads a dataset, decodes every image and mask once (bounded, in order) and
// reports counts per category/split/defect type plus every problem. Knows nothing of flags or printing.
import { MadenetError } from '../core/errors.js';
import { boundedMap } from '../io/bounded-map.js';
import { checkSegment } from '../artifacts/files.js';
import { annotationOf, datasetFingerprint, loadDataset, type AnnotationLevel, type DatasetLayout, type Problem, type Sample, type Split } from '../io/dataset.js';
import { verifyImage } from '../io/decode.js';
import { defaultConcurrency } from '../io/sample-stream.js';

export interface DatasetInspectOptions {
  root: string;
  categories?: string[];
  /** Samples whose image or mask cannot be decoded become counted warnings instead of failing. */
  skipBadImages?: boolean;
  concurrency?: number;
  onProgress?: (done: number, total: number) => void;
}

export interface InspectCount {
  split: Split;
  defectType: string;
  label: 0 | 1;
  images: number;
  masks: number;
}

export interface CategoryReport {
  name: string;
  images: number;
  anomalous: number;
  masks: number;
  /**
   * How its defects are annotated: 'pixel' (all masked), 'image' (no masks: image metrics only), 'mixed', or
   * 'none' (no defect image).
   */
  annotation: AnnotationLevel;
  /** One row per split and defect type, train first, types sorted. */
  counts: InspectCount[];
}

export interface DatasetInspectResult {
  root: string;
  layout: DatasetLayout;
  fingerprint: string;
  categories: CategoryReport[];
  /** Categories whose defects carry labels but no masks (annotation 'image'), sorted. */
  imageLevelCategories: string[];
  totals: { categories: number; images: number; normal: number; anomalous: number; masks: number };
  problems: Problem[];
  summary: { errors: number; warnings: number; skippedImages: number };
}

const BAD_IMAGE = new Set(['E_DECODE', 'E_IMAGE_TOO_SMALL']);

export async function inspectDataset(opts: DatasetInspectOptions): Promise<DatasetInspectResult> {
  const ds = await loadDataset(opts.root, opts.categories ? { categories: opts.categories } : {});
  const problems: Problem[] = [...ds.problems];
  let skippedImages = 0;
  let done = 0;
  const total = ds.samples.length;
  opts.onProgress?.(0, total);
  const checks = boundedMap(ds.samples, (s) => checkSample(s), { concurrency: opts.concurrency ?? defaultConcurrency() });
  for await (const found of checks) {
    // As in training: a sample whose image or mask cannot be decoded is skipped as a whole.
    const skip = opts.skipBadImages === true && found.some((p) => BAD_IMAGE.has(p.code));
    if (skip) skippedImages++;
    for (const p of found) {
      problems.push(skip && BAD_IMAGE.has(p.code) ? { ...p, severity: 'warning', message: `${p.message} (skipped: --skip-bad-images)` } : p);
    }
    opts.onProgress?.(++done, total);
  }
  // Trainers save to <out>/<kind>/<category>/: a category that cannot be a folder name is refused there, so say it here.
  for (const name of ds.categories) {
    try {
      checkSegment('category', name);
    } catch (err) {
      problems.push({ code: 'E_CATEGORY', severity: 'warning', path: ds.root, category: name, message: `${(err as Error).message.replace(/\.$/, '')}; the trainers refuse it (rename the folder or the manifest's category).` });
    }
  }
  const categories = ds.categories.map((name) => report(name, ds.samples.filter((s) => s.category === name)));
  const images = ds.samples.length;
  const anomalous = ds.samples.filter((s) => s.label === 1).length;
  return {
    root: ds.root,
    layout: ds.layout,
    fingerprint: datasetFingerprint(ds.samples),
    categories,
    imageLevelCategories: categories.filter((c) => c.annotation === 'image').map((c) => c.name),
    totals: {
      categories: categories.length,
      images,
      normal: images - anomalous,
      anomalous,
      masks: ds.samples.filter((s) => s.maskPath !== null).length,
    },
    problems,
    summary: {
      errors: problems.filter((p) => p.severity === 'error').length,
      warnings: problems.filter((p) => p.severity === 'warning').length,
      skippedImages,
    },
  };
}

/** Decodes the image and its mask; every failure becomes a Problem. */
async function checkSample(s: Sample): Promise<Problem[]> {
  const found: Problem[] = [];
  const image = await verifyImage(s.path).catch((err: unknown) => {
    found.push(asProblem(err, s.path, s.category));
    return null;
  });
  if (s.maskPath === null) return found;
  const mask = await verifyImage(s.maskPath).catch((err: unknown) => {
    found.push(asProblem(err, s.maskPath as string, s.category));
    return null;
  });
  if (image && mask && (image.width !== mask.width || image.height !== mask.height)) {
    found.push({
      code: 'E_MASK_SIZE',
      severity: 'error',
      path: s.maskPath,
      category: s.category,
      message: `Mask ${s.maskPath} is ${mask.width}x${mask.height} pixels; expected ${image.width}x${image.height} (the size of its image ${s.path}).`,
    });
  }
  return found;
}

function asProblem(err: unknown, path: string, category: string): Problem {
  if (err instanceof MadenetError) return { code: err.code, severity: 'error', path, category, message: err.message };
  throw err;
}

function report(name: string, samples: Sample[]): CategoryReport {
  const rows = new Map<string, InspectCount>();
  for (const s of samples) {
    const key = `${s.split}\t${s.defectType}`;
    const row = rows.get(key) ?? { split: s.split, defectType: s.defectType, label: s.label, images: 0, masks: 0 };
    row.images++;
    if (s.maskPath !== null) row.masks++;
    rows.set(key, row);
  }
  const counts = [...rows.values()].sort((a, b) =>
    a.split !== b.split ? (a.split === 'train' ? -1 : 1) : a.defectType < b.defectType ? -1 : a.defectType > b.defectType ? 1 : 0,
  );
  return {
    name,
    images: samples.length,
    anomalous: samples.filter((s) => s.label === 1).length,
    masks: samples.filter((s) => s.maskPath !== null).length,
    annotation: annotationOf(samples).level,
    counts,
  };
}

/** The error to end with when undecodable images were found and not skipped; null otherwise. */
export function badImagesError(result: DatasetInspectResult): MadenetError | null {
  const bad = result.problems.filter((p) => p.severity === 'error' && BAD_IMAGE.has(p.code));
  if (bad.length === 0) return null;
  const shown = bad.slice(0, 5).map((p) => p.message);
  const more = bad.length > shown.length ? ` (and ${bad.length - shown.length} more)` : '';
  return new MadenetError(
    bad[0]?.code ?? 'E_DECODE',
    `${bad.length} image${bad.length === 1 ? '' : 's'} could not be read${more}: ${shown.join(' ')}`,
    { suggestions: ['Fix or remove the files, or pass --skip-bad-images to count them as warnings.'] },
  );
}

/** Human-readable report: a count table and one line per problem. */
export function renderInspectReport(r: DatasetInspectResult): string[] {
  const lines: string[] = [];
  const plural = (n: number, one: string, many = `${one}s`): string => `${n} ${n === 1 ? one : many}`;
  lines.push(
    `Dataset ${r.root} (${r.layout} layout): ${plural(r.totals.categories, 'category', 'categories')}, ` +
      `${plural(r.totals.images, 'image')} (${r.totals.normal} normal, ${r.totals.anomalous} anomalous, ${plural(r.totals.masks, 'mask')})`,
  );
  lines.push(`Fingerprint ${r.fingerprint}`);
  const table: string[][] = [['category', 'split', 'type', 'images', 'masks']];
  for (const c of r.categories) {
    if (c.counts.length === 0) table.push([c.name, '-', '-', '0', '0']);
    for (const row of c.counts) table.push([c.name, row.split, row.defectType, String(row.images), String(row.masks)]);
  }
  const widths = table[0]?.map((_, i) => Math.max(...table.map((row) => (row[i] as string).length))) ?? [];
  lines.push('');
  for (const row of table) {
    lines.push(row.map((cell, i) => (i >= 3 ? cell.padStart(widths[i] as number) : cell.padEnd(widths[i] as number))).join('  ').trimEnd());
  }
  lines.push('');
  if (r.imageLevelCategories.length > 0) {
    lines.push(`Image-level (labels, no masks; image metrics only): ${r.imageLevelCategories.join(', ')}`);
  }
  const mixed = r.categories.filter((c) => c.annotation === 'mixed');
  if (mixed.length > 0) lines.push(`Partly masked (pixel metrics cover the masked defects only): ${mixed.map((c) => `${c.name} (${c.masks} of ${c.anomalous})`).join(', ')}`);
  if (r.imageLevelCategories.length > 0 || mixed.length > 0) lines.push('');
  const { errors, warnings, skippedImages } = r.summary;
  if (r.problems.length === 0) lines.push('No problems found.');
  else {
    const skipped = skippedImages ? `, ${plural(skippedImages, 'image')} skipped` : '';
    lines.push(`Problems: ${plural(errors, 'error')}, ${plural(warnings, 'warning')}${skipped}`);
    for (const p of r.problems) lines.push(`  ${p.severity.padEnd(7)} ${p.code.padEnd(17)} ${p.message}`);
  }
  return lines;
}
