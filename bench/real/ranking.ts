// How well validation ranks the submodels, per category: each perfmap's validation objective (synthetic
// defects, or --real-validation's held-out real defects) against the submodels' image AUROC on the test split,
// as a rank table and Kendall's tau-b. Pure: numbers in, numbers and markdown out.
import type { PerfMap } from '../../src/pipeline/perfmap/schema.js';

export interface RankedSubmodel {
  kind: string;
  /** The perfmap objective (what the choice maximised) and its image AUROC on validation. */
  validationObjective: number | null;
  validationAuroc: number | null;
  testAuroc: number | null;
}

export interface CategoryRanking {
  category: string;
  /** Which validation the perfmap used: 'synthetic', 'train-defects' or 'validation-data'. */
  source: string;
  validationDefects: number;
  submodels: RankedSubmodel[];
  /** Kendall's tau-b between validation objective and test image AUROC (null with < 2 usable submodels or all tied). */
  tau: number | null;
  chosen: string;
  bestOnTest: string | null;
  /** Test image AUROC of the best submodel minus that of the chosen one (0 = validation chose the best). */
  regret: number | null;
}

/** Kendall's tau-b over pairs (ties in either list counted as in scipy.stats.kendalltau); null when undefined. */
export function kendallTauB(a: readonly number[], b: readonly number[]): number | null {
  let concordant = 0;
  let discordant = 0;
  let tiesA = 0;
  let tiesB = 0;
  for (let i = 0; i < a.length; i++) {
    for (let j = i + 1; j < a.length; j++) {
      const da = Math.sign((a[i] as number) - (a[j] as number));
      const db = Math.sign((b[i] as number) - (b[j] as number));
      if (da === 0 && db === 0) continue;
      if (da === 0) tiesA++;
      else if (db === 0) tiesB++;
      else if (da === db) concordant++;
      else discordant++;
    }
  }
  const denom = Math.sqrt((concordant + discordant + tiesA) * (concordant + discordant + tiesB));
  return denom === 0 ? null : (concordant - discordant) / denom;
}

/** One ranking per category of the perfmap, joined with the test image AUROC of each submodel kind. */
export function rankCategories(perfmap: PerfMap, testAuroc: (category: string, kind: string) => number | null): CategoryRanking[] {
  return Object.entries(perfmap.categories).map(([category, e]) => {
    const submodels = e.candidates.map((c) => ({ kind: c.kind, validationObjective: c.objective, validationAuroc: c.imageAuroc, testAuroc: testAuroc(category, c.kind) }));
    const usable = submodels.filter((s) => s.validationObjective !== null && s.testAuroc !== null);
    const tau = usable.length < 2 ? null : kendallTauB(usable.map((s) => s.validationObjective as number), usable.map((s) => s.testAuroc as number));
    const best = usable.length === 0 ? null : usable.reduce((x, y) => ((y.testAuroc as number) > (x.testAuroc as number) ? y : x));
    const chosen = submodels.find((s) => s.kind === e.chosen);
    return {
      category,
      source: e.validation.source,
      validationDefects: e.validation.defects,
      submodels,
      tau,
      chosen: e.chosen,
      bestOnTest: best?.kind ?? null,
      regret: best && chosen?.testAuroc !== null && chosen?.testAuroc !== undefined ? (best.testAuroc as number) - chosen.testAuroc : null,
    };
  });
}

const fmt = (v: number | null | undefined): string => (v === null || v === undefined || !Number.isFinite(v) ? 'n/a' : v.toFixed(3));

/** Markdown: per category a rank table for every validation kind given, then tau and regret. */
export function renderRankings(sets: readonly { label: string; rankings: CategoryRanking[] }[]): string[] {
  if (sets.length === 0) return [];
  const lines = [
    '## Validation ranking against the test ranking',
    '',
    "Per category, each performance map's validation objective of the submodels in the map next to their image AUROC on",
    'the test split. tau: Kendall tau-b between the two (1 = same order, -1 = reversed).',
    'regret: test image AUROC of the best submodel minus that of the one validation chose.',
    '',
    '| category | validation | submodel: validation objective / test AUROC | tau | chosen | best on test | regret |',
    '|---|---|---|---|---|---|---|',
  ];
  const categories = [...new Set(sets.flatMap((s) => s.rankings.map((r) => r.category)))];
  for (const category of categories) {
    for (const set of sets) {
      const r = set.rankings.find((x) => x.category === category);
      if (!r) continue;
      const cells = [...r.submodels]
        .sort((x, y) => (y.validationObjective ?? -1) - (x.validationObjective ?? -1))
        .map((s) => `${s.kind} ${fmt(s.validationObjective)} / ${fmt(s.testAuroc)}`)
        .join(', ');
      lines.push(`| ${category} | ${set.label} (${r.validationDefects} defects) | ${cells} | ${fmt(r.tau)} | ${r.chosen} | ${r.bestOnTest ?? 'n/a'} | ${fmt(r.regret)} |`);
    }
  }
  for (const set of sets) {
    const taus = set.rankings.map((r) => r.tau).filter((t): t is number => t !== null);
    const regrets = set.rankings.map((r) => r.regret).filter((t): t is number => t !== null);
    const mean = (xs: number[]): number | null => (xs.length === 0 ? null : xs.reduce((a, b) => a + b, 0) / xs.length);
    lines.push('', `${set.label}: mean tau ${fmt(mean(taus))} over ${taus.length} categories; chose the test-best submodel in ${set.rankings.filter((r) => r.regret === 0).length} of ${set.rankings.length}; mean regret ${fmt(mean(regrets))}.`);
  }
  lines.push('');
  return lines;
}
