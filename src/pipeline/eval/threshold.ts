// Decision thresholds chosen on validation scores: F1-optimal when the validation set has defects, else
// the normal-only quantile that keeps the false-alarm rate at or below a target. A sample is a defect
// when score >= threshold (labelAt), here and in infer.
import { MadenetError } from '../core/errors.js';
import { curveFromScores, type LabelArray, type ScoreArray } from './count-curve.js';
import { f1MaxOf } from './curve-metrics.js';
import { nextUp } from './float-key.js';

export const DEFAULT_TARGET_FPR = 0.01;

export type ThresholdInput =
  | { scores: ScoreArray; labels: LabelArray; targetFpr?: number }
  | { normalScores: ScoreArray; targetFpr?: number };

export interface ThresholdChoice {
  threshold: number;
  method: 'f1' | 'normal-quantile';
  /** F1 on the validation set at the threshold (method 'f1'). */
  f1?: number;
  /** The target of method 'normal-quantile'. */
  targetFpr?: number;
  /** Fraction of validation normals flagged at the threshold. */
  fpr: number;
  normals: number;
  defects: number;
}

/** 1 when score >= threshold: the one rule for turning a score into a label. */
export function labelAt(score: number, threshold: number): 0 | 1 {
  return score >= threshold ? 1 : 0;
}

/**
 * With labels that include defects: the F1-max threshold (lowest among equal F1). Otherwise (labels all 0,
 * or normalScores): the lowest normal score t with #(normal >= t) <= floor(targetFpr * n); when even the
 * highest score is too frequent, the next float above it (no validation normal flagged).
 */
export function chooseThreshold(input: ThresholdInput): ThresholdChoice {
  const targetFpr = input.targetFpr ?? DEFAULT_TARGET_FPR;
  if (!(targetFpr >= 0 && targetFpr < 1)) {
    throw new MadenetError('E_USAGE', `Target FPR is ${targetFpr}; expected a number in [0, 1).`);
  }
  let normals: number[];
  if ('labels' in input) {
    const curve = curveFromScores(input.scores, input.labels);
    if (curve.positives > 0 && curve.negatives > 0) {
      const best = f1MaxOf(curve);
      if (best) {
        const fp = countAtLeast(normalsOf(input.scores, input.labels), best.threshold);
        return {
          threshold: best.threshold,
          method: 'f1',
          f1: best.f1,
          fpr: fp / curve.negatives,
          normals: curve.negatives,
          defects: curve.positives,
        };
      }
    }
    if (curve.negatives === 0) {
      throw new MadenetError('E_DATASET', 'The validation set has no normal images; expected some to choose a threshold.', {
        suggestions: ['Add normal (good) images to the validation split.'],
      });
    }
    normals = normalsOf(input.scores, input.labels);
  } else {
    normals = Array.from(input.normalScores);
  }
  if (normals.length === 0) {
    throw new MadenetError('E_DATASET', 'No normal validation scores; expected at least one to choose a threshold.');
  }
  for (const s of normals) {
    if (Number.isNaN(s)) throw new MadenetError('E_PREDICTIONS', 'A normal validation score is NaN; expected numbers.');
  }
  normals.sort((a, b) => b - a);
  const allowed = Math.floor(targetFpr * normals.length + 1e-9);
  // Walk down the distinct scores while the count at or above stays within the allowance.
  let threshold = nextUp(normals[0] as number);
  let flagged = 0;
  for (let k = 0; k < normals.length; ) {
    const v = normals[k] as number;
    let end = k;
    while (end < normals.length && normals[end] === v) end++;
    if (end > allowed) break;
    threshold = v;
    flagged = end;
    k = end;
  }
  return {
    threshold,
    method: 'normal-quantile',
    targetFpr,
    fpr: flagged / normals.length,
    normals: normals.length,
    defects: 'labels' in input ? input.labels.length - normals.length : 0,
  };
}

function normalsOf(scores: ScoreArray, labels: LabelArray): number[] {
  const out: number[] = [];
  for (let i = 0; i < scores.length; i++) if (labels[i] === 0) out.push(scores[i] as number);
  return out;
}

function countAtLeast(values: number[], t: number): number {
  let n = 0;
  for (const v of values) if (v >= t) n++;
  return n;
}
