// Summarises routed predictions per true category: which submodel scored its test images and how many the
// pre-classifier sent to another category. Pure: the predictions and the dataset's test samples come in.
import type { Sample } from '../../src/pipeline/io/dataset-types.js';
import type { Prediction } from '../../src/pipeline/predictions/prediction.js';

export interface RoutingSummary {
  scoredBy: Record<string, number>;
  misrouted: number;
}

/** Predictions of images that are not among `tests` are left out. */
export function routingByCategory(
  predictions: readonly Pick<Prediction, 'path' | 'category' | 'model'>[],
  tests: readonly Pick<Sample, 'path' | 'category'>[],
): Record<string, RoutingSummary> {
  const truth = new Map(tests.map((s) => [s.path, s.category]));
  const out: Record<string, RoutingSummary> = {};
  for (const p of predictions) {
    const category = truth.get(p.path);
    if (category === undefined) continue;
    const entry = (out[category] ??= { scoredBy: {}, misrouted: 0 });
    entry.scoredBy[p.model] = (entry.scoredBy[p.model] ?? 0) + 1;
    if (p.category !== category) entry.misrouted++;
  }
  return out;
}
