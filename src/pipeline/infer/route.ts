// Which submodel scores an image, and why: a category given by the user (flag or input line) or by a
// confident classifier goes to the category's chosen submodel; an unsure classifier to the fallback kind.
import { MadenetError } from '../core/errors.js';
import type { SubmodelKind } from '../detectors/detector.js';
import { candidateOf, type CandidateMetrics, type PerfMap } from '../perfmap/schema.js';

export const DEFAULT_MIN_CONFIDENCE = 0.85;
export const DEFAULT_FALLBACK: SubmodelKind = 'sfad';

export type RouteReason = 'confident' | 'low-confidence-fallback' | 'no-classifier' | 'forced-category';

export interface RouteRecord {
  reason: RouteReason;
  /** For 'forced-category': where the category came from. */
  from?: 'flag' | 'line';
  /** For classifier routes: the threshold the confidence was compared with. */
  minConfidence?: number;
  /** For 'low-confidence-fallback': the category's own choice that was passed over. */
  chosen?: SubmodelKind;
}

export interface Route {
  category: string;
  kind: SubmodelKind;
  candidate: CandidateMetrics;
  classifier: { category: string; confidence: number } | null;
  record: RouteRecord;
}

export interface RouteInput {
  /** Category given by --category (from 'flag') or on the input line ('line'); it wins over the classifier. */
  given: { category: string; from: 'flag' | 'line' } | null;
  /** Top-1 of the classifier, or null when it was not run. */
  classified: { category: string; confidence: number } | null;
}

export interface RoutePolicy {
  minConfidence: number;
  fallback: SubmodelKind;
}

export function routeImage(perfmap: PerfMap, input: RouteInput, policy: RoutePolicy): Route {
  const known = Object.keys(perfmap.categories);
  const chosenOf = (category: string, why: string): CandidateMetrics => {
    const entry = perfmap.categories[category];
    if (!entry) {
      throw new MadenetError('E_CATEGORY', `Category ${category} (${why}) is not in the performance map; expected one of: ${known.join(', ')}.`, {
        suggestions: ['Rebuild the map with a model for it (build-perfmap --models ...), or correct the category.'],
      });
    }
    return candidateOf(perfmap, category, entry.chosen) as CandidateMetrics;
  };
  if (input.given) {
    const { category, from } = input.given;
    const candidate = chosenOf(category, from === 'flag' ? 'from --category' : 'from the input line');
    return { category, kind: candidate.kind, candidate, classifier: null, record: { reason: 'forced-category', from } };
  }
  if (input.classified) {
    const { category, confidence } = input.classified;
    const chosen = chosenOf(category, `from the classifier, confidence ${confidence.toFixed(3)}`);
    if (confidence >= policy.minConfidence) {
      return { category, kind: chosen.kind, candidate: chosen, classifier: input.classified, record: { reason: 'confident', minConfidence: policy.minConfidence } };
    }
    const fallback = candidateOf(perfmap, category, policy.fallback);
    if (!fallback) throw missingFallback([category], policy.fallback);
    return {
      category,
      kind: fallback.kind,
      candidate: fallback,
      classifier: input.classified,
      record: { reason: 'low-confidence-fallback', minConfidence: policy.minConfidence, chosen: chosen.kind },
    };
  }
  if (known.length === 1) {
    const category = known[0] as string;
    const candidate = chosenOf(category, 'the only one in the map');
    return { category, kind: candidate.kind, candidate, classifier: null, record: { reason: 'no-classifier' } };
  }
  throw new MadenetError('E_CATEGORY', `No category for the image: the performance map has no classifier and ${known.length} categories; expected --category or PATH<TAB>CATEGORY input lines.`, {
    suggestions: ['Rebuild the map with --classifier ARTIFACT, or name the category.'],
  });
}

export function missingFallback(categories: string[], fallback: SubmodelKind): MadenetError {
  return new MadenetError('E_PERFMAP', `The performance map has no ${fallback} model for ${categories.join(', ')}, so images of it that the classifier is unsure about cannot fall back to ${fallback}.`, {
    suggestions: [`Rebuild the map with a ${fallback} artifact for it, choose another --fallback, or pass --min-confidence 0 to always trust the classifier.`],
  });
}

/** Categories whose fallback candidate is missing (checked before a run that may use the classifier). */
export function categoriesWithoutFallback(perfmap: PerfMap, fallback: SubmodelKind): string[] {
  return Object.keys(perfmap.categories).filter((c) => !candidateOf(perfmap, c, fallback));
}
