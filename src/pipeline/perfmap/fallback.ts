// Which submodel kind the map suggests as infer's low-confidence fallback, from validation alone: the kind that
// every category has, with the highest mean validation objective over the categories. MADE-Net's fixed SFAD
// fallback is kept on ties (and where no kind is in every category, none is suggested). Pure.
import type { SubmodelKind } from '../detectors/detector.js';
import type { CategoryEntry } from './schema.js';

export interface FallbackChoice {
  kind: SubmodelKind;
  /** Mean over the categories of the kind's validation objective (what the per-category choice maximised). */
  meanObjective: number;
  /** Every kind present in all categories with its mean objective, best first. */
  ranking: { kind: SubmodelKind; meanObjective: number }[];
}

/** The kind infer falls back to when nothing better is known (MADE-Net's general-purpose SFAD). */
export const PREFERRED_FALLBACK: SubmodelKind = 'sfad';

export function chooseFallback(categories: Record<string, Pick<CategoryEntry, 'candidates'>>): FallbackChoice | null {
  const entries = Object.values(categories);
  if (entries.length === 0) return null;
  const kinds = [...new Set(entries.flatMap((e) => e.candidates.map((c) => c.kind)))];
  const ranking: FallbackChoice['ranking'] = [];
  for (const kind of kinds) {
    const objectives = entries.map((e) => e.candidates.find((c) => c.kind === kind)?.objective);
    // A kind missing in a category, or without an objective there, cannot serve that category's unsure images.
    if (objectives.some((o) => o === undefined || o === null || !Number.isFinite(o))) continue;
    ranking.push({ kind, meanObjective: (objectives as number[]).reduce((a, b) => a + b, 0) / objectives.length });
  }
  if (ranking.length === 0) return null;
  ranking.sort((a, b) => b.meanObjective - a.meanObjective || Number(b.kind === PREFERRED_FALLBACK) - Number(a.kind === PREFERRED_FALLBACK) || (a.kind < b.kind ? -1 : 1));
  const best = ranking[0] as FallbackChoice['ranking'][number];
  return { kind: best.kind, meanObjective: best.meanObjective, ranking };
}
