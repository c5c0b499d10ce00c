// Exact pixel-level ROC/PR/PRO counts over any number of maps in two streaming passes, memory bounded by the
// number of defect pixels (not all pixels). No approximation: ties are resolved on float32 bit patterns.
//
// Why two passes: an exact rank statistic needs, for every distinct defect-pixel score, how many normal
// pixels score below or equal to it. Pass 1 (addDefectPixels) records each defect pixel's score key, region
// size and group; sealing sorts the keys into the m distinct scores plus a lookup table of about m buckets
// over their key range. Pass 2 (addNormalPixels) drops each normal pixel into "equal to distinct score i" or
// "between distinct scores i-1 and i" with one table lookup and a binary search over the few keys of its
// bucket: O(m) counters per group, no pixel kept. Normal-only score runs between two defect scores only move
// the curve sideways, so AUROC, AP, F1 and AUPRO computed from these counts equal those over every threshold.
//
// Groups (e.g. defect types) let one accumulator answer "this type's defect images plus all normal images"
// for every type with a single lookup per normal pixel: normal images are added to SHARED, which counts for
// every group; a defect image's own pixels belong to its group only.
import { MadenetError } from '../core/errors.js';
import type { CountCurve } from './count-curve.js';
import { aurocOf, auproOf, averagePrecisionOf } from './curve-metrics.js';
import { keyToFloat } from './float-key.js';
import { labelRegions } from './regions.js';

/** Group of normal pixels that count for every group (normal images). */
export const SHARED = -1;

export interface PixelMetrics {
  /** Null when there are no defect pixels or no normal pixels. */
  auroc: number | null;
  ap: number | null;
  /** Null when there are no ground-truth regions or no normal pixels. */
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

/** Groups to combine: the default (undefined) is every group. */
export type GroupSelection = readonly number[] | undefined;

const MAX_GROUP = 65535;

export class PixelCurveAccumulator {
  private keys = new Uint32Array(1024);
  private regionSizes = new Uint32Array(1024);
  private groups = new Uint16Array(1024);
  private count = 0;
  private readonly regionsByGroup = new Map<number, number>();
  private sealed: Sealed | null = null;
  /** Per group (SHARED included): interleaved counters, [2i] = gap before distinct i, [2i+1] = equal to it. */
  private readonly negatives = new Map<number, Counters>();

  /** Pass 1: the defect pixels of one image (its normal pixels are ignored here). */
  addDefectPixels(map: Float32Array, gt: Uint8Array, width: number, group = 0): void {
    if (this.sealed) throw new Error('addDefectPixels called after addNormalPixels; feed every defect image first.');
    if (!Number.isInteger(group) || group < 0 || group > MAX_GROUP) throw new Error(`Defect pixel group ${group} is not an integer in [0, ${MAX_GROUP}].`);
    checkShape(map, gt, width);
    const { labels, sizes } = labelRegions(gt, width, map.length / width);
    const bits = bitsOf(map);
    for (let i = 0; i < gt.length; i++) {
      const id = labels[i] as number;
      if (id === 0) continue;
      if (this.count === this.keys.length) this.grow();
      this.keys[this.count] = keyOf(bits[i] as number, i);
      this.regionSizes[this.count] = sizes[id - 1] as number;
      this.groups[this.count] = group;
      this.count++;
    }
    this.regionsByGroup.set(group, (this.regionsByGroup.get(group) ?? 0) + sizes.length);
  }

  /** Pass 2: the normal pixels of one image (gt null = every pixel is normal); SHARED counts for all groups. */
  addNormalPixels(map: Float32Array, gt: Uint8Array | null, group: number = SHARED): void {
    if (gt) checkShape(map, gt, undefined);
    const s = this.seal();
    let c = this.negatives.get(group);
    if (!c) this.negatives.set(group, (c = { cells: new Uint32Array(2 * s.distinct.length + 1), total: 0 }));
    // Uint32 counters keep the working set small (cache misses dominate); widen before they could overflow.
    if (c.total + map.length > 0xffffffff && c.cells instanceof Uint32Array) c.cells = Float64Array.from(c.cells);
    c.total += countInto(c.cells, s, bitsOf(map), gt);
  }

  /** The exact curve (cuts at the selected groups' distinct defect-pixel scores, plus normal-only runs). */
  curve(groups?: GroupSelection): CountCurve {
    const s = this.seal();
    const m = s.distinct.length;
    const pick = groups === undefined ? null : new Set(groups);
    const counts = new Float64Array(m);
    const proSums = new Float64Array(m);
    let positives = 0;
    for (let i = 0; i < this.count; i++) {
      if (pick && !pick.has(this.groups[i] as number)) continue;
      const j = lookup(s, this.keys[i] as number);
      counts[j]++;
      proSums[j] += 1 / (this.regionSizes[i] as number);
      positives++;
    }
    let regions = 0;
    for (const [g, r] of this.regionsByGroup) if (!pick || pick.has(g)) regions += r;
    const cells = new Float64Array(2 * m + 1);
    let negatives = 0;
    for (const [g, c] of this.negatives) {
      if (pick && g !== SHARED && !pick.has(g)) continue;
      for (let k = 0; k < cells.length; k++) cells[k] += c.cells[k] as number;
      negatives += c.total;
    }
    const tp: number[] = [];
    const fp: number[] = [];
    const cut: number[] = [];
    const pro: number[] = [];
    const push = (a: number, b: number, x: number, d: number): void => {
      tp.push(a);
      fp.push(b);
      cut.push(x);
      pro.push(d);
    };
    let t = 0;
    let f = cells[2 * m] as number;
    let p = 0;
    let lastF = 0;
    for (let j = m - 1; j >= 0; j--) {
      if (counts[j] === 0) {
        // Another group's score: for this selection it is one more normal-only run.
        f += (cells[2 * j + 1] as number) + (cells[2 * j] as number);
        continue;
      }
      if (f > lastF) push(t, f, NaN, p);
      f += cells[2 * j + 1] as number;
      t += counts[j] as number;
      p += proSums[j] as number;
      push(t, f, keyToFloat(s.distinct[j] as number), p);
      lastF = f;
      f += cells[2 * j] as number;
    }
    if (f > lastF) push(t, f, NaN, p);
    return {
      tp: Float64Array.from(tp),
      fp: Float64Array.from(fp),
      cut: Float64Array.from(cut),
      pro: Float64Array.from(pro),
      positives,
      negatives,
      regions,
    };
  }

  finalize(auproLimit = 0.3, groups?: GroupSelection): PixelMetrics {
    const c = this.curve(groups);
    return {
      auroc: aurocOf(c),
      ap: averagePrecisionOf(c),
      aupro: auproOf(c, auproLimit),
      defectPixels: c.positives,
      normalPixels: c.negatives,
      regions: c.regions ?? 0,
    };
  }

  private seal(): Sealed {
    return (this.sealed ??= seal(this.keys.subarray(0, this.count)));
  }

  private grow(): void {
    const keys = new Uint32Array(this.keys.length * 2);
    keys.set(this.keys);
    this.keys = keys;
    const sizes = new Uint32Array(this.regionSizes.length * 2);
    sizes.set(this.regionSizes);
    this.regionSizes = sizes;
    const groups = new Uint16Array(this.groups.length * 2);
    groups.set(this.groups);
    this.groups = groups;
  }
}

/** Both passes over maps held in memory (tests, small sets). */
export function pixelCurve(samples: readonly PixelSample[]): CountCurve {
  return accumulate(samples).curve();
}

export function pixelMetrics(samples: readonly PixelSample[], auproLimit = 0.3): PixelMetrics {
  return accumulate(samples).finalize(auproLimit);
}

/** AUPRO of maps held in memory, integrated to FPR `limit` (default 0.3) and normalised by it. */
export function aupro(samples: readonly PixelSample[], limit = 0.3): number | null {
  return auproOf(pixelCurve(samples), limit);
}

function accumulate(samples: readonly PixelSample[]): PixelCurveAccumulator {
  const acc = new PixelCurveAccumulator();
  for (const s of samples) if (s.gt) acc.addDefectPixels(s.map, s.gt, s.width);
  for (const s of samples) acc.addNormalPixels(s.map, s.gt);
  return acc;
}

interface Counters {
  cells: Uint32Array | Float64Array;
  total: number;
}

interface Sealed {
  /** Distinct defect-pixel keys, ascending. */
  distinct: Uint32Array;
  /** Smallest and largest distinct key; keys outside go straight to the first or last gap. */
  lowKey: number;
  highKey: number;
  /** Bucket of a key in [lowKey, highKey]: (key - lowKey) >>> shift. */
  shift: number;
  /** table[b] = first index whose bucket is >= b; the last entry is m. */
  table: Uint32Array;
}

/** About one bucket per distinct key: most lookups compare against 1-2 keys. */
const MAX_TABLE_BITS = 22;

function seal(keys: Uint32Array): Sealed {
  const sorted = keys.slice().sort();
  let m = 0;
  for (let i = 0; i < sorted.length; i++) if (i === 0 || sorted[i] !== sorted[i - 1]) m++;
  const distinct = new Uint32Array(m);
  for (let i = 0, j = 0; i < sorted.length; i++) if (i === 0 || sorted[i] !== sorted[i - 1]) distinct[j++] = sorted[i] as number;
  if (m === 0) return { distinct, lowKey: 1, highKey: 0, shift: 0, table: new Uint32Array(1) };
  const lowKey = distinct[0] as number;
  const highKey = distinct[m - 1] as number;
  const want = Math.min(2 ** MAX_TABLE_BITS, m);
  let shift = 0;
  while (shift < 31 && Math.floor((highKey - lowKey) / 2 ** shift) + 1 > want) shift++;
  const buckets = Math.floor((highKey - lowKey) / 2 ** shift) + 1;
  const table = new Uint32Array(buckets + 1);
  for (let b = 0, idx = 0; b <= buckets; b++) {
    while (idx < m && Math.floor(((distinct[idx] as number) - lowKey) / 2 ** shift) < b) idx++;
    table[b] = idx;
  }
  return { distinct, lowKey, highKey, shift, table };
}

/** Index of the first distinct key >= key (m when none). */
function lookup(s: Sealed, key: number): number {
  if (key < s.lowKey) return 0;
  if (key > s.highKey) return s.distinct.length;
  const b = (key - s.lowKey) >>> s.shift;
  let lo = s.table[b] as number;
  let up = s.table[b + 1] as number;
  while (lo < up) {
    const mid = (lo + up) >>> 1;
    if ((s.distinct[mid] as number) < key) lo = mid + 1;
    else up = mid;
  }
  return lo;
}

/** The hot loop of pass 2 (kept flat for speed); returns how many pixels it counted. */
function countInto(cells: Uint32Array | Float64Array, s: Sealed, bits: Uint32Array, gt: Uint8Array | null): number {
  const { distinct, table, lowKey, highKey, shift } = s;
  const m = distinct.length;
  let n = 0;
  for (let i = 0; i < bits.length; i++) {
    if (gt !== null && gt[i] !== 0) continue;
    const key = keyOf(bits[i] as number, i);
    n++;
    if (key < lowKey) {
      cells[0]++;
      continue;
    }
    if (key > highKey) {
      cells[2 * m]++;
      continue;
    }
    const b = (key - lowKey) >>> shift;
    let lo = table[b] as number;
    let up = table[b + 1] as number;
    while (lo < up) {
      const mid = (lo + up) >>> 1;
      if ((distinct[mid] as number) < key) lo = mid + 1;
      else up = mid;
    }
    cells[distinct[lo] === key ? 2 * lo + 1 : 2 * lo]++;
  }
  return n;
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
