// Exact pixel-level ROC/PR/PRO counts over any number of maps in two streaming passes, memory bounded by the
// number of defect pixels (not all pixels). No approximation: ties are resolved on float32 bit patterns.
//
// Why two passes: an exact rank statistic needs, for every distinct defect-pixel score, how many normal
// pixels score below or equal to it. Pass 1 (addDefectPixels) records each defect pixel's score key and its
// region size; sealing sorts them into the m distinct scores plus a 65,536-entry table on the top 16 key
// bits. Pass 2 (addNormalPixels) drops each normal pixel into "equal to distinct score i" or "between
// distinct scores i-1 and i" with one table lookup and a short binary search: O(m) counters, no pixel kept.
// Normal-only score runs between two defect scores only move the curve sideways, so AUROC, AP, F1 and
// AUPRO computed from these counts equal those over every distinct threshold.
import { MadenetError } from '../cli/errors.js';
import type { CountCurve } from './count-curve.js';
import { aurocOf, auproOf, averagePrecisionOf } from './curve-metrics.js';
import { keyToFloat } from './float-key.js';
import { labelRegions } from './regions.js';

export interface PixelMetrics {
  /** Null when there are no defect pixels or no normal pixels. */
  auroc: number | null;
  ap: number | null;
  aupro: number | null;
  defectPixels: number;
  normalPixels: number;
  regions: number;
}

export interface PixelSample {
  /** Anomaly map, row-major height x width. */
  map: Float32Array;
  /** Ground truth, same layout, nonzero = defect; null for an all-normal image. */
  gt: Uint8Array | null;
  width: number;
  height: number;
}

export class PixelCurveAccumulator {
  private keys = new Uint32Array(1024);
  private regionSizes = new Uint32Array(1024);
  private count = 0;
  private regions = 0;
  private sealed: Sealed | null = null;
  private negatives = 0;

  /** Pass 1: the defect pixels of one image (its normal pixels are ignored here). */
  addDefectPixels(map: Float32Array, gt: Uint8Array, width: number): void {
    if (this.sealed) throw new Error('addDefectPixels called after addNormalPixels; feed every defect image first.');
    checkShape(map, gt, width);
    const height = map.length / width;
    const { labels, sizes } = labelRegions(gt, width, height);
    const bits = bitsOf(map);
    for (let i = 0; i < gt.length; i++) {
      const id = labels[i] as number;
      if (id === 0) continue;
      if (this.count === this.keys.length) this.grow();
      this.keys[this.count] = keyOf(bits[i] as number, i);
      this.regionSizes[this.count] = sizes[id - 1] as number;
      this.count++;
    }
    this.regions += sizes.length;
  }

  /** Pass 2: the normal pixels of one image (gt null = every pixel is normal). */
  addNormalPixels(map: Float32Array, gt: Uint8Array | null): void {
    if (gt) checkShape(map, gt, undefined);
    const s = (this.sealed ??= seal(this.keys.subarray(0, this.count), this.regionSizes.subarray(0, this.count)));
    const bits = bitsOf(map);
    const { distinct, table, eq, gap } = s;
    const m = distinct.length;
    let n = 0;
    for (let i = 0; i < bits.length; i++) {
      if (gt !== null && gt[i] !== 0) continue;
      const key = keyOf(bits[i] as number, i);
      const hi = key >>> 16;
      let lo = table[hi] as number;
      let up = table[hi + 1] as number;
      while (lo < up) {
        const mid = (lo + up) >>> 1;
        if ((distinct[mid] as number) < key) lo = mid + 1;
        else up = mid;
      }
      if (lo < m && distinct[lo] === key) eq[lo]++;
      else gap[lo]++;
      n++;
    }
    this.negatives += n;
  }

  /** The exact curve (cuts at the distinct defect-pixel scores, plus the normal-only runs between them). */
  curve(): CountCurve {
    const s = (this.sealed ??= seal(this.keys.subarray(0, this.count), this.regionSizes.subarray(0, this.count)));
    const { distinct, counts, proSums, eq, gap } = s;
    const m = distinct.length;
    const tp: number[] = [];
    const fp: number[] = [];
    const cut: number[] = [];
    const pro: number[] = [];
    let t = 0;
    let f = gap[m] as number;
    let p = 0;
    let lastF = 0;
    for (let j = m - 1; j >= 0; j--) {
      if (f > lastF) push(t, f, NaN, p);
      f += eq[j] as number;
      t += counts[j] as number;
      p += proSums[j] as number;
      push(t, f, keyToFloat(distinct[j] as number), p);
      lastF = f;
      f += gap[j] as number;
    }
    if (f > lastF) push(t, f, NaN, p);
    return {
      tp: Float64Array.from(tp),
      fp: Float64Array.from(fp),
      cut: Float64Array.from(cut),
      pro: Float64Array.from(pro),
      positives: this.count,
      negatives: this.negatives,
      regions: this.regions,
    };
    function push(a: number, b: number, c: number, d: number): void {
      tp.push(a);
      fp.push(b);
      cut.push(c);
      pro.push(d);
    }
  }

  finalize(auproLimit = 0.3): PixelMetrics {
    const c = this.curve();
    return {
      auroc: aurocOf(c),
      ap: averagePrecisionOf(c),
      aupro: auproOf(c, auproLimit),
      defectPixels: c.positives,
      normalPixels: c.negatives,
      regions: this.regions,
    };
  }

  private grow(): void {
    const keys = new Uint32Array(this.keys.length * 2);
    keys.set(this.keys);
    this.keys = keys;
    const sizes = new Uint32Array(this.regionSizes.length * 2);
    sizes.set(this.regionSizes);
    this.regionSizes = sizes;
  }
}

/** Both passes over maps held in memory (tests, small sets). */
export function pixelCurve(samples: readonly PixelSample[]): CountCurve {
  const acc = new PixelCurveAccumulator();
  for (const s of samples) if (s.gt) acc.addDefectPixels(s.map, s.gt, s.width);
  for (const s of samples) acc.addNormalPixels(s.map, s.gt);
  return acc.curve();
}

export function pixelMetrics(samples: readonly PixelSample[], auproLimit = 0.3): PixelMetrics {
  const acc = new PixelCurveAccumulator();
  for (const s of samples) if (s.gt) acc.addDefectPixels(s.map, s.gt, s.width);
  for (const s of samples) acc.addNormalPixels(s.map, s.gt);
  return acc.finalize(auproLimit);
}

/** AUPRO of maps held in memory, integrated to FPR `limit` (default 0.3) and normalised by it. */
export function aupro(samples: readonly PixelSample[], limit = 0.3): number | null {
  return auproOf(pixelCurve(samples), limit);
}

interface Sealed {
  /** Distinct defect-pixel keys, ascending. */
  distinct: Uint32Array;
  /** Defect pixels per distinct key. */
  counts: Float64Array;
  /** Sum of 1 / region size over the defect pixels of each distinct key. */
  proSums: Float64Array;
  /** table[h] = first index whose key's top 16 bits are >= h; table[65536] = m. */
  table: Uint32Array;
  /** Normal pixels equal to distinct[i]. */
  eq: Float64Array;
  /** gap[i]: normal pixels strictly between distinct[i-1] and distinct[i] (gap[m]: above all). */
  gap: Float64Array;
}

function seal(keys: Uint32Array, regionSizes: Uint32Array): Sealed {
  const sorted = keys.slice().sort();
  let m = 0;
  for (let i = 0; i < sorted.length; i++) if (i === 0 || sorted[i] !== sorted[i - 1]) m++;
  const distinct = new Uint32Array(m);
  const counts = new Float64Array(m);
  let j = -1;
  for (let i = 0; i < sorted.length; i++) {
    if (i === 0 || sorted[i] !== sorted[i - 1]) distinct[++j] = sorted[i] as number;
    counts[j]++;
  }
  const table = new Uint32Array(65537);
  let idx = 0;
  for (let h = 0; h <= 65536; h++) {
    while (idx < m && (distinct[idx] as number) >>> 16 < h) idx++;
    table[h] = idx;
  }
  const proSums = new Float64Array(m);
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i] as number;
    let lo = table[key >>> 16] as number;
    let up = table[(key >>> 16) + 1] as number;
    while (lo < up) {
      const mid = (lo + up) >>> 1;
      if ((distinct[mid] as number) < key) lo = mid + 1;
      else up = mid;
    }
    proSums[lo] += 1 / (regionSizes[i] as number);
  }
  return { distinct, counts, proSums, table, eq: new Float64Array(m), gap: new Float64Array(m + 1) };
}

function bitsOf(map: Float32Array): Uint32Array {
  return new Uint32Array(map.buffer, map.byteOffset, map.length);
}

/** Sortable key of float32 bits (see float-key.ts), inlined for the hot loops; NaN is an error. */
function keyOf(b: number, i: number): number {
  if ((b & 0x7fffffff) > 0x7f800000) {
    throw new MadenetError('E_PREDICTIONS', `Anomaly map pixel ${i} is NaN; expected finite scores.`);
  }
  if (b === 0x80000000) return 0x80000000;
  return (b & 0x80000000) !== 0 ? ~b >>> 0 : (b | 0x80000000) >>> 0;
}

function checkShape(map: Float32Array, gt: Uint8Array, width: number | undefined): void {
  if (gt.length !== map.length || (width !== undefined && (width <= 0 || map.length % width !== 0))) {
    throw new MadenetError(
      'E_MASK_SIZE',
      `Ground truth has ${gt.length} pixels but the anomaly map has ${map.length}` +
        (width !== undefined ? ` (width ${width})` : '') +
        '; expected the mask resized to the map size.',
    );
  }
}
