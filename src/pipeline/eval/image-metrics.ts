// Image-level metrics on score/label arrays (label 1 = defect, score higher = more anomalous), all exact
// with ties as one cut. Each returns null when the metric needs a class the input lacks.
import { curveFromScores, type LabelArray, type ScoreArray } from './count-curve.js';
import { aurocOf, averagePrecisionOf, f1MaxOf, tprAtFprOf, type F1Max, type TprAtFpr } from './curve-metrics.js';

export function imageAuroc(scores: ScoreArray, labels: LabelArray): number | null {
  return aurocOf(curveFromScores(scores, labels));
}

export function averagePrecision(scores: ScoreArray, labels: LabelArray): number | null {
  return averagePrecisionOf(curveFromScores(scores, labels));
}

export function f1Max(scores: ScoreArray, labels: LabelArray): F1Max | null {
  return f1MaxOf(curveFromScores(scores, labels));
}

export function tprAtFpr(scores: ScoreArray, labels: LabelArray, fpr: number): TprAtFpr | null {
  return tprAtFprOf(curveFromScores(scores, labels), fpr);
}
