// Computes every row of an evaluation from matched predictions: image metrics from scores, pixel metrics
// with two streaming passes over the maps (defect images, then all). Keeps curves for the report's plots.
import { curveFromScores, type CountCurve } from '../count-curve.js';
import { aurocOf, averagePrecisionOf, f1MaxOf, tprAtFprOf } from '../curve-metrics.js';
import { PixelCurveAccumulator, SHARED, type PixelMetrics } from '../pixel-curve-accumulator.js';
import type { AtThreshold, MetricsRow } from '../report/metrics-table.js';
import { annotationOf, describeAnnotation } from '../../io/dataset.js';
import { readAnomalyMap, readGroundTruth, type AnomalyMap } from './ground-truth.js';
import type { EvalItem } from './match-predictions.js';

export interface ComputeOptions {
  /** FPR at which TPR is reported. */
  fpr: number;
  /** FPR limit of AUPRO. */
  auproLimit: number;
  /** Worst misses and false alarms kept per category. */
  examples: number;
  /** Called after each map read: pass 1 reads the defect images' maps, pass 2 every map. */
  onMap?: (done: number, total: number) => void;
}

/**
 * 'evaluated': every image has a map and every defect a mask. 'some-masks-missing': pixel metrics over the
 * defects with a mask (and every normal image). 'no-masks': image-level ground truth, pixel metrics n/a.
 */
export type PixelStatus = 'evaluated' | 'no-maps' | 'some-maps-missing' | 'no-masks' | 'some-masks-missing';

/** Statuses under which every image of the category has a map. */
export function hasMaps(s: PixelStatus): boolean {
  return s !== 'no-maps' && s !== 'some-maps-missing';
}

/** Statuses under which pixel metrics are computed (over the masked defects). */
export function hasPixelMetrics(s: PixelStatus): boolean {
  return s === 'evaluated' || s === 'some-masks-missing';
}

export interface CategoryEval {
  category: string;
  /** The category row first, then one row per defect type (sorted). */
  rows: MetricsRow[];
  pixel: PixelStatus;
  imageCurve: CountCurve;
  pixelCurve: CountCurve | null;
  normalScores: number[];
  defectScores: number[];
  /** Distinct thresholds found in the predictions (normally one). */
  thresholds: number[];
  /** Defect images the model passed (label 0), lowest score first: the worst misses. */
  misses: EvalItem[];
  /** Normal images the model flagged (label 1), highest score first: the worst false alarms. */
  falseAlarms: EvalItem[];
  /** How many defect images were passed and normal images flagged in all (the lists above are cut to `examples`). */
  missCount: number;
  falseAlarmCount: number;
  /** Per defect type (sorted): images, how many were flagged, and their score spread. */
  defectTypes: DefectTypeStats[];
  /** Smallest and largest pixel score over the category's maps (heatmap colour scale). */
  mapRange: [number, number] | null;
}

export interface DefectTypeStats {
  defectType: string;
  images: number;
  flagged: number;
  minScore: number;
  medianScore: number;
  maxScore: number;
}

export interface ComputeResult {
  categories: CategoryEval[];
  warnings: string[];
  /** Defect pixel indices per image path (ground truth at map size), for the report's pictures. */
  defectPixels: Map<string, Uint32Array>;
}

export async function computeMetrics(items: readonly EvalItem[], opts: ComputeOptions): Promise<ComputeResult> {
  const warnings: string[] = [];
  const byCategory = groupBy(items, (i) => i.sample.category);
  const status = pixelStatuses(byCategory, warnings);
  const pixels = new PixelPasses(byCategory);
  await pixels.run(items, status, opts.onMap);
  const categories = [...byCategory]
    .sort((a, b) => (a[0] < b[0] ? -1 : 1))
    .map(([category, group]) => categoryEval(category, group, status.get(category) as PixelStatus, pixels, opts, warnings));
  return { categories, warnings, defectPixels: pixels.defectPixels };
}

/** Per category, whether pixel metrics can be computed (maps and masks present), with a warning where not. */
function pixelStatuses(byCategory: Map<string, EvalItem[]>, warnings: string[]): Map<string, PixelStatus> {
  const status = new Map<string, PixelStatus>();
  for (const [category, group] of byCategory) {
    const withMap = group.filter((i) => i.mapPath !== null).length;
    const annotation = annotationOf(group.map((i) => i.sample));
    let s: PixelStatus = withMap === group.length ? 'evaluated' : withMap === 0 ? 'no-maps' : 'some-maps-missing';
    if (s === 'evaluated' && annotation.level === 'image') s = 'no-masks';
    if (s === 'evaluated' && annotation.level === 'mixed') s = 'some-masks-missing';
    status.set(category, s);
    if (s === 'no-maps') warnings.push(`${category}: the predictions have no maps (image-level run); pixel metrics are n/a.`);
    if (s === 'some-maps-missing') {
      warnings.push(`${category}: ${group.length - withMap} of ${group.length} predictions have no map; pixel metrics are left out (n/a) rather than computed on a subset.`);
    }
    if (s === 'no-masks' || s === 'some-masks-missing') warnings.push(describeAnnotation(category, annotation, 'evaluated defect images') as string);
  }
  return status;
}

/** The two streaming passes over the maps, and what they leave: pixel curves per category, map ranges, defect pixels. */
class PixelPasses {
  /** One accumulator per category; defect types are its groups (normal images count for every type). */
  private readonly accs = new Map<string, PixelCurveAccumulator>();
  readonly ranges = new Map<string, [number, number]>();
  readonly defectPixels = new Map<string, Uint32Array>();
  /** The sorted defect types of each category. */
  readonly typesOf = new Map<string, string[]>();

  constructor(byCategory: Map<string, EvalItem[]>) {
    for (const [category, group] of byCategory) {
      this.typesOf.set(category, [...new Set(group.filter((i) => i.sample.label === 1).map((i) => i.sample.defectType))].sort());
    }
  }

  acc(category: string): PixelCurveAccumulator {
    let a = this.accs.get(category);
    if (!a) this.accs.set(category, (a = new PixelCurveAccumulator()));
    return a;
  }

  private groupOf(category: string, type: string): number {
    return (this.typesOf.get(category) ?? []).indexOf(type);
  }

  async run(items: readonly EvalItem[], status: Map<string, PixelStatus>, onMap: ComputeOptions['onMap']): Promise<void> {
    // A defect without a mask says nothing about its pixels: it counts for the image metrics only.
    const pixelItems = items.filter((i) => hasPixelMetrics(status.get(i.sample.category) as PixelStatus) && (i.sample.label === 0 || i.sample.maskPath !== null));
    // Every map of a category whose images all have one is read in pass 2, for the heatmaps' colour scale.
    const mapItems = items.filter((i) => hasMaps(status.get(i.sample.category) as PixelStatus));
    const inPixel = new Set(pixelItems);
    const defectItems = pixelItems.filter((i) => i.sample.label === 1);
    const total = defectItems.length + mapItems.length;
    let done = 0;
    // Pass 1: defect pixels of defect images.
    for await (const { item, map } of mapsOf(defectItems)) {
      const gt = (await readGroundTruth(item.sample, map.width, map.height)) as Uint8Array;
      this.acc(item.sample.category).addDefectPixels(map.data, gt, map.width, this.groupOf(item.sample.category, item.sample.defectType));
      this.defectPixels.set(item.sample.path, indicesOf(gt));
      onMap?.(++done, total);
    }
    // Pass 2: normal pixels of every image; a normal image counts for every defect type of its category.
    for await (const { item, map } of mapsOf(mapItems)) {
      const { category, label, defectType, path } = item.sample;
      this.widen(category, map);
      if (inPixel.has(item)) {
        const gt = label === 1 ? maskOf(this.defectPixels.get(path) as Uint32Array, map.data.length) : null;
        this.acc(category).addNormalPixels(map.data, gt, label === 1 ? this.groupOf(category, defectType) : SHARED);
      }
      onMap?.(++done, total);
    }
  }

  private widen(category: string, m: AnomalyMap): void {
    let [lo, hi] = this.ranges.get(category) ?? [Infinity, -Infinity];
    for (let i = 0; i < m.data.length; i++) {
      const v = m.data[i] as number;
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
    this.ranges.set(category, [lo, hi]);
  }
}

/** One category's rows (all, then each defect type), curves, worst examples and per-type stats. */
function categoryEval(category: string, group: EvalItem[], pixel: PixelStatus, pixels: PixelPasses, opts: ComputeOptions, warnings: string[]): CategoryEval {
  const normals = group.filter((i) => i.sample.label === 0);
  const defects = group.filter((i) => i.sample.label === 1);
  if (defects.length === 0) warnings.push(`${category}: no defect images; AUROC, AP, F1-max, TPR@FPR and pixel metrics are n/a.`);
  if (normals.length === 0) {
    warnings.push(`${category}: no normal test images; image AUROC and TPR@FPR are n/a (pixel metrics use the normal pixels of defect images).`);
  }
  const px = (groups?: number[]): PixelMetrics | null => (hasPixelMetrics(pixel) ? pixels.acc(category).finalize(opts.auproLimit, groups) : null);
  const rows = [row(category, 'all', group, px(), opts)];
  for (const [g, t] of (pixels.typesOf.get(category) ?? []).entries()) {
    rows.push(row(category, t, [...normals, ...defects.filter((i) => i.sample.defectType === t)], px([g]), opts));
  }
  const byScore = (a: EvalItem, b: EvalItem): number => a.prediction.score - b.prediction.score;
  return {
    category,
    rows,
    pixel,
    imageCurve: curveOf(group),
    pixelCurve: hasPixelMetrics(pixel) ? pixels.acc(category).curve() : null,
    normalScores: normals.map((i) => i.prediction.score),
    defectScores: defects.map((i) => i.prediction.score),
    thresholds: [...new Set(group.map((i) => i.prediction.threshold))].sort((a, b) => a - b),
    misses: defects.filter((i) => i.prediction.label === 0).sort(byScore).slice(0, opts.examples),
    falseAlarms: normals.filter((i) => i.prediction.label === 1).sort(byScore).reverse().slice(0, opts.examples),
    missCount: defects.filter((i) => i.prediction.label === 0).length,
    falseAlarmCount: normals.filter((i) => i.prediction.label === 1).length,
    defectTypes: defectTypeStats(defects),
    mapRange: pixels.ranges.get(category) ?? null,
  };
}

function defectTypeStats(defects: readonly EvalItem[]): DefectTypeStats[] {
  const byType = new Map<string, number[]>();
  const flagged = new Map<string, number>();
  for (const i of defects) {
    const t = i.sample.defectType;
    byType.set(t, [...(byType.get(t) ?? []), i.prediction.score]);
    flagged.set(t, (flagged.get(t) ?? 0) + i.prediction.label);
  }
  return [...byType]
    .sort((a, b) => (a[0] < b[0] ? -1 : 1))
    .map(([defectType, scores]) => {
      const s = [...scores].sort((a, b) => a - b);
      const mid = s.length >> 1;
      return {
        defectType,
        images: s.length,
        flagged: flagged.get(defectType) ?? 0,
        minScore: s[0] as number,
        medianScore: s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2,
        maxScore: s[s.length - 1] as number,
      };
    });
}

function row(category: string, defectType: string, group: readonly EvalItem[], px: PixelMetrics | null, opts: ComputeOptions): MetricsRow {
  const curve = curveOf(group);
  const f1 = f1MaxOf(curve);
  const tpr = tprAtFprOf(curve, opts.fpr);
  return {
    category,
    defectType,
    images: group.length,
    normals: curve.negatives,
    defects: curve.positives,
    imageAuroc: aurocOf(curve),
    imageAp: averagePrecisionOf(curve),
    pixelAuroc: px?.auroc ?? null,
    pixelAp: px?.ap ?? null,
    aupro: px?.aupro ?? null,
    f1Max: f1?.f1 ?? null,
    f1Threshold: f1?.threshold ?? null,
    tprAtFpr: tpr?.tpr ?? null,
    tprThreshold: tpr && Number.isFinite(tpr.threshold) ? tpr.threshold : null,
    atThreshold: atThreshold(group),
  };
}

function curveOf(group: readonly EvalItem[]): CountCurve {
  return curveFromScores(
    group.map((i) => i.prediction.score),
    group.map((i) => i.sample.label),
  );
}

function atThreshold(group: readonly EvalItem[]): AtThreshold {
  let tp = 0;
  let fp = 0;
  let fn = 0;
  let tn = 0;
  for (const i of group) {
    const flagged = i.prediction.label === 1;
    if (i.sample.label === 1) flagged ? tp++ : fn++;
    else flagged ? fp++ : tn++;
  }
  const ratio = (a: number, b: number): number | null => (b > 0 ? a / b : null);
  return {
    tp,
    fp,
    fn,
    tn,
    precision: ratio(tp, tp + fp),
    recall: ratio(tp, tp + fn),
    f1: tp + fn > 0 ? (2 * tp) / (2 * tp + fp + fn) : null,
    fpr: ratio(fp, fp + tn),
  };
}

/** Reads maps in order with one read ahead, so decoding overlaps counting without unbounded buffering. */
async function* mapsOf(items: readonly EvalItem[]): AsyncGenerator<{ item: EvalItem; map: AnomalyMap }> {
  const read = (i: EvalItem): Promise<AnomalyMap> => readAnomalyMap(i.mapPath as string, i.sample.path, i.mapRoot);
  let next = items.length > 0 ? read(items[0] as EvalItem) : null;
  for (let k = 0; k < items.length; k++) {
    const current = next as Promise<AnomalyMap>;
    next = k + 1 < items.length ? read(items[k + 1] as EvalItem) : null;
    // Keep a failing read-ahead from surfacing as an unhandled rejection before its turn.
    next?.catch(() => undefined);
    yield { item: items[k] as EvalItem, map: await current };
  }
}

function indicesOf(gt: Uint8Array): Uint32Array {
  let n = 0;
  for (let i = 0; i < gt.length; i++) if (gt[i] !== 0) n++;
  const out = new Uint32Array(n);
  n = 0;
  for (let i = 0; i < gt.length; i++) if (gt[i] !== 0) out[n++] = i;
  return out;
}

export function maskOf(indices: Uint32Array, length: number): Uint8Array {
  const gt = new Uint8Array(length);
  for (let i = 0; i < indices.length; i++) gt[indices[i] as number] = 1;
  return gt;
}

function groupBy<T>(xs: readonly T[], key: (x: T) => string): Map<string, T[]> {
  const m = new Map<string, T[]>();
  for (const x of xs) {
    const k = key(x);
    const g = m.get(k);
    if (g) g.push(x);
    else m.set(k, [x]);
  }
  return m;
}
