// How a classifier's held-out predictions would route in infer: accuracy, and for normals and defects apart the
// mean top-1 confidence, the share under the routing threshold (those fall back) and the share confidently wrong.
// Pure functions on typed arrays; the probabilities come from classifierProbabilities.
import { confusionMetrics } from '../train/classifier/classifier-validation.js';

export interface RoutingGroupMetrics {
  images: number;
  /** Top-1 = the image's category. */
  accuracy: number | null;
  /** Mean top-1 probability (what infer compares with --min-confidence). */
  meanConfidence: number | null;
  /** Mean probability of the true category. */
  meanTrueProbability: number | null;
  /** Share with top-1 confidence below the threshold: routed to the fallback submodel. */
  belowThreshold: number | null;
  /** Share at or above the threshold but of the wrong category: routed to another category's model. */
  confidentWrong: number | null;
  /** Share at or above the threshold and right: routed to their category's chosen submodel. */
  confidentRight: number | null;
}

export interface ClassifierRoutingMetrics {
  images: number;
  accuracy: number | null;
  balancedAccuracy: number | null;
  perClassRecall: (number | null)[];
  /** The threshold the shares were computed at. */
  minConfidence: number;
  normals: RoutingGroupMetrics;
  defects: RoutingGroupMetrics;
  /** confusion[true][predicted], category order on both axes. */
  confusion: number[][];
}

/**
 * probs: [N*K] softmax rows; labels: [N] category indices; defective: [N] whether image i is a defect.
 * Confidence c routes confidently when c >= minConfidence (infer's rule).
 */
export function classifierRoutingMetrics(
  probs: Float32Array,
  labels: ArrayLike<number>,
  defective: ArrayLike<boolean>,
  numClasses: number,
  minConfidence: number,
): ClassifierRoutingMetrics {
  const confusion = Array.from({ length: numClasses }, () => new Array<number>(numClasses).fill(0));
  const sums = [0, 1].map(() => ({ images: 0, right: 0, confidence: 0, trueProb: 0, below: 0, confidentWrong: 0 }));
  for (let i = 0; i < labels.length; i++) {
    const label = labels[i] as number;
    const row = probs.subarray(i * numClasses, (i + 1) * numClasses);
    let top = 0;
    for (let k = 1; k < numClasses; k++) if ((row[k] as number) > (row[top] as number)) top = k;
    const confidence = row[top] as number;
    (confusion[label] as number[])[top]++;
    const g = sums[defective[i] ? 1 : 0] as (typeof sums)[number];
    g.images++;
    g.confidence += confidence;
    g.trueProb += row[label] as number;
    if (top === label) g.right++;
    if (confidence < minConfidence) g.below++;
    else if (top !== label) g.confidentWrong++;
  }
  const group = (s: (typeof sums)[number]): RoutingGroupMetrics => {
    const share = (v: number): number | null => (s.images > 0 ? v / s.images : null);
    return {
      images: s.images,
      accuracy: share(s.right),
      meanConfidence: share(s.confidence),
      meanTrueProbability: share(s.trueProb),
      belowThreshold: share(s.below),
      confidentWrong: share(s.confidentWrong),
      confidentRight: share(s.images - s.below - s.confidentWrong),
    };
  };
  const m = confusionMetrics(confusion);
  return {
    images: m.images,
    accuracy: m.accuracy,
    balancedAccuracy: m.balancedAccuracy,
    perClassRecall: m.perClassRecall,
    minConfidence,
    normals: group(sums[0] as (typeof sums)[number]),
    defects: group(sums[1] as (typeof sums)[number]),
    confusion,
  };
}

/**
 * What the fine-tune's best epoch maximises: the share routed confidently to the right category, averaged over
 * normals and defects (each group counts alike, whatever its size; a group without images is left out), with the
 * mean true-category probability as a tie-breaker too small to outweigh one image.
 */
export function routingScore(m: ClassifierRoutingMetrics): number | null {
  const groups = [m.normals, m.defects].filter((g) => g.images > 0);
  if (groups.length === 0) return null;
  const mean = (f: (g: RoutingGroupMetrics) => number): number => groups.reduce((a, g) => a + f(g), 0) / groups.length;
  return mean((g) => g.confidentRight as number) + 1e-6 * mean((g) => g.meanTrueProbability as number);
}
