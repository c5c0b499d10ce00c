// Exact metrics read off a CountCurve: AUROC (ties count one half), average precision as sklearn's
// average_precision_score, F1-max, TPR at a fixed FPR and AUPRO. One-class input gives null, never NaN.
import type { CountCurve } from './count-curve.js';

export interface F1Max {
  f1: number;
  /** Flag a sample as a defect when score >= threshold; among equal F1 the lowest such threshold. */
  threshold: number;
  precision: number;
  recall: number;
}

export interface TprAtFpr {
  tpr: number;
  /** FPR actually reached at `threshold` (<= the target). */
  fpr: number;
  /** score >= threshold is flagged; Infinity when no cut keeps FPR within the target. */
  threshold: number;
}

/** Area under the ROC curve by trapezoids (= Mann-Whitney with ties as 1/2); null without both classes. */
export function aurocOf(c: CountCurve): number | null {
  if (c.positives === 0 || c.negatives === 0) return null;
  // Each term is an integer below 2^53 and so is the running sum: the area is exact up to the division.
  let twice = 0;
  let tp0 = 0;
  let fp0 = 0;
  for (let k = 0; k < c.tp.length; k++) {
    const tp = c.tp[k] as number;
    const fp = c.fp[k] as number;
    twice += (fp - fp0) * (tp + tp0);
    tp0 = tp;
    fp0 = fp;
  }
  return twice / (2 * c.positives * c.negatives);
}

/** sum over cuts of (recall step) x (precision at the cut); null without positives, 1 without negatives. */
export function averagePrecisionOf(c: CountCurve): number | null {
  if (c.positives === 0) return null;
  let ap = 0;
  let tp0 = 0;
  for (let k = 0; k < c.tp.length; k++) {
    const tp = c.tp[k] as number;
    if (tp !== tp0) ap += ((tp - tp0) / c.positives) * (tp / (tp + (c.fp[k] as number)));
    tp0 = tp;
  }
  return ap;
}

/** Best F1 over all cuts; null without positives (F1 is 0 at every cut then). */
export function f1MaxOf(c: CountCurve): F1Max | null {
  if (c.positives === 0) return null;
  let best: F1Max | null = null;
  for (let k = 0; k < c.tp.length; k++) {
    const cut = c.cut[k] as number;
    if (Number.isNaN(cut)) continue;
    const tp = c.tp[k] as number;
    const fp = c.fp[k] as number;
    const f1 = (2 * tp) / (tp + fp + c.positives);
    if (best === null || f1 >= best.f1) {
      best = { f1, threshold: cut, precision: tp + fp > 0 ? tp / (tp + fp) : 1, recall: tp / c.positives };
    }
  }
  return best;
}

/** Highest TPR among cuts whose FPR is <= maxFpr (the ROC step function, no interpolation). */
export function tprAtFprOf(c: CountCurve, maxFpr: number): TprAtFpr | null {
  if (c.positives === 0 || c.negatives === 0) return null;
  let best: TprAtFpr = { tpr: 0, fpr: 0, threshold: Infinity };
  for (let k = 0; k < c.tp.length; k++) {
    const fpr = (c.fp[k] as number) / c.negatives;
    if (fpr > maxFpr) break;
    const cut = c.cut[k] as number;
    const tpr = (c.tp[k] as number) / c.positives;
    if (!Number.isNaN(cut) && tpr > best.tpr) best = { tpr, fpr, threshold: cut };
  }
  return best;
}

/**
 * Area under the per-region-overlap curve up to FPR `limit`, divided by `limit` (MVTec AD): points
 * (FPR, mean region overlap) with (0,0) and (1,1) added, trapezoids, the point at `limit` interpolated.
 * Null when the curve has no regions, no normal pixels, or no per-region data.
 */
export function auproOf(c: CountCurve, limit = 0.3): number | null {
  const pro = c.pro;
  const regions = c.regions ?? 0;
  if (!pro || regions === 0 || c.negatives === 0 || !(limit > 0 && limit <= 1)) return null;
  let area = 0;
  let x0 = 0;
  let y0 = 0;
  for (let k = 0; k <= c.tp.length; k++) {
    const x1 = k < c.tp.length ? Math.min(1, (c.fp[k] as number) / c.negatives) : 1;
    const y1 = k < c.tp.length ? Math.min(1, (pro[k] as number) / regions) : 1;
    if (x1 <= limit) {
      area += 0.5 * (y0 + y1) * (x1 - x0);
    } else {
      if (x0 < limit) {
        const yAt = y0 + ((y1 - y0) * (limit - x0)) / (x1 - x0);
        area += 0.5 * (y0 + yAt) * (limit - x0);
      }
      break;
    }
    x0 = x1;
    y0 = y1;
  }
  return area / limit;
}

export interface CurvePoints {
  x: number[];
  y: number[];
}

/** ROC points (FPR, TPR) from the origin, thinned to about maxPoints for plotting. */
export function rocPoints(c: CountCurve, maxPoints = 1000): CurvePoints | null {
  if (c.positives === 0 || c.negatives === 0) return null;
  const x = [0];
  const y = [0];
  for (let k = 0; k < c.tp.length; k++) {
    x.push((c.fp[k] as number) / c.negatives);
    y.push((c.tp[k] as number) / c.positives);
  }
  return thin({ x, y }, maxPoints);
}

/** Precision-recall points (recall, precision) at the cuts where recall grows, thinned for plotting. */
export function prPoints(c: CountCurve, maxPoints = 1000): CurvePoints | null {
  if (c.positives === 0) return null;
  const x: number[] = [];
  const y: number[] = [];
  let tp0 = 0;
  for (let k = 0; k < c.tp.length; k++) {
    const tp = c.tp[k] as number;
    if (tp === tp0) continue;
    if (x.length === 0) {
      x.push(0);
      y.push(tp / (tp + (c.fp[k] as number)));
    }
    x.push(tp / c.positives);
    y.push(tp / (tp + (c.fp[k] as number)));
    tp0 = tp;
  }
  return thin({ x, y }, maxPoints);
}

function thin(p: CurvePoints, maxPoints: number): CurvePoints {
  const n = p.x.length;
  if (n <= maxPoints) return p;
  // Keep a point whenever it moved far enough from the last kept one, plus the last: the shape survives.
  const step = 2 / maxPoints;
  const x = [p.x[0] as number];
  const y = [p.y[0] as number];
  for (let i = 1; i < n; i++) {
    const dx = (p.x[i] as number) - (x[x.length - 1] as number);
    const dy = (p.y[i] as number) - (y[y.length - 1] as number);
    if (i === n - 1 || Math.abs(dx) + Math.abs(dy) >= step) {
      x.push(p.x[i] as number);
      y.push(p.y[i] as number);
    }
  }
  return { x, y };
}
