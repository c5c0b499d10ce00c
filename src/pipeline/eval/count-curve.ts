// The one curve every ranking metric here is computed from: cumulative positive/negative counts at each
// cut, highest cut first, with ties kept together. Builds it from image scores; pixels build it elsewhere.
import { MadenetError } from '../core/errors.js';

/**
 * Points in descending cut order. Point k counts the samples scored >= cut[k]; every tied score lies on
 * the same side of a cut. The origin (0,0) is implicit; the last point is (negatives, positives).
 */
export interface CountCurve {
  /** Positives scored >= the cut (non-decreasing). */
  readonly tp: Float64Array;
  /** Negatives scored >= the cut (non-decreasing). */
  readonly fp: Float64Array;
  /** The score at the cut; NaN where a point only closes a run of negative-only scores (never an optimum). */
  readonly cut: Float64Array;
  /** For pixel curves: region-weighted overlap at the cut, summed over regions (divide by `regions`). */
  readonly pro?: Float64Array;
  readonly positives: number;
  readonly negatives: number;
  /** Number of ground-truth regions (pixel curves only). */
  readonly regions?: number;
}

export type ScoreArray = ArrayLike<number>;
export type LabelArray = ArrayLike<number>;

/** Exact curve over every distinct score (sklearn's _binary_clf_curve, plus the implicit origin). */
export function curveFromScores(scores: ScoreArray, labels: LabelArray): CountCurve {
  checkPairs(scores, labels);
  const n = scores.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => (scores[b] as number) - (scores[a] as number));
  const tp: number[] = [];
  const fp: number[] = [];
  const cut: number[] = [];
  let t = 0;
  let f = 0;
  for (let k = 0; k < n; k++) {
    const i = order[k] as number;
    if (labels[i] === 1) t++;
    else f++;
    const next = order[k + 1];
    if (next === undefined || (scores[next] as number) !== (scores[i] as number)) {
      tp.push(t);
      fp.push(f);
      cut.push(scores[i] as number);
    }
  }
  return { tp: Float64Array.from(tp), fp: Float64Array.from(fp), cut: Float64Array.from(cut), positives: t, negatives: f };
}

function checkPairs(scores: ScoreArray, labels: LabelArray): void {
  if (scores.length !== labels.length) {
    throw new MadenetError('E_USAGE', `Got ${scores.length} scores but ${labels.length} labels; expected one label per score.`);
  }
  for (let i = 0; i < scores.length; i++) {
    const s = scores[i] as number;
    if (Number.isNaN(s)) throw new MadenetError('E_PREDICTIONS', `Score ${i} is NaN; expected a number (higher = more anomalous).`);
    const l = labels[i];
    if (l !== 0 && l !== 1) throw new MadenetError('E_USAGE', `Label ${i} is ${String(l)}; expected 0 (normal) or 1 (defect).`);
  }
}
