// The validation-vs-test ranking report of bench:real and its --real-validation hold-out, on hand-made numbers.
import { kendallTauB, rankCategories, renderRankings } from '../../bench/real/ranking.js';
import { holdOutRealValidation } from '../../bench/real/validation-split.js';
import type { PerfMap } from '../../src/pipeline/perfmap/schema.js';

describe('kendallTauB', () => {
  it('matches hand-counted pairs (and scipy.stats.kendalltau) with and without ties', () => {
    expect(kendallTauB([1, 2, 3], [10, 20, 30])).toBe(1);
    expect(kendallTauB([1, 2, 3], [30, 20, 10])).toBe(-1);
    // pairs (0,1) concordant, (0,2) concordant, (1,2) discordant -> (2 - 1) / 3
    expect(kendallTauB([1, 2, 3], [1, 3, 2])).toBeCloseTo(1 / 3, 12);
    // ties in b: C=2, D=0, tiesB=1 -> 2 / sqrt(2 * 3) (scipy: 0.816496580927726)
    expect(kendallTauB([1, 2, 3], [1, 2, 2])).toBeCloseTo(0.816496580927726, 12);
    expect(kendallTauB([1, 1], [2, 2])).toBeNull();
  });
});

describe('rankCategories / renderRankings', () => {
  const candidate = (kind: string, objective: number | null) => ({ kind, objective, imageAuroc: objective });
  const perfmap = {
    categories: {
      plate: { validation: { source: 'synthetic', defects: 20 }, chosen: 'srad', candidates: [candidate('srad', 0.9), candidate('lpd', 0.8), candidate('sfad', 0.5)] },
      chip: { validation: { source: 'validation-data', defects: 10 }, chosen: 'lpd', candidates: [candidate('lpd', 0.95), candidate('srad', null)] },
    },
  } as unknown as PerfMap;
  const test: Record<string, Record<string, number>> = { plate: { srad: 0.7, lpd: 0.95, sfad: 0.6 }, chip: { lpd: 0.9, srad: 0.99 } };

  it('joins validation objectives with test AUROCs: tau, the test-best submodel and the regret of the choice', () => {
    const [plate, chip] = rankCategories(perfmap, (c, k) => test[c]?.[k] ?? null);
    // validation order srad > lpd > sfad, test order lpd > srad > sfad: one discordant pair of three.
    expect(plate).toMatchObject({ category: 'plate', source: 'synthetic', chosen: 'srad', bestOnTest: 'lpd' });
    expect(plate?.tau).toBeCloseTo(1 / 3, 12);
    expect(plate?.regret).toBeCloseTo(0.25, 12);
    // srad has no validation objective: one usable submodel, no tau; it is the best usable one, so no regret.
    expect(chip).toMatchObject({ tau: null, bestOnTest: 'lpd', regret: 0 });
    const md = renderRankings([{ label: 'synthetic', rankings: [plate!, chip!] }]).join('\n');
    expect(md).toContain('| plate | synthetic (20 defects) | srad 0.900 / 0.700, lpd 0.800 / 0.950, sfad 0.500 / 0.600 | 0.333 | srad | lpd | 0.250 |');
    expect(md).toMatch(/synthetic: mean tau 0\.333 over 1 categories; chose the test-best submodel in 1 of 2; mean regret 0\.125\./);
  });
});

describe('holdOutRealValidation', () => {
  const row = (category: string, split: string, label: number, type: string, i: number): string =>
    JSON.stringify({ path: `/d/${category}/${split}/${type}/${i}.png`, category, split, label, defect_type: type, mask: '' });
  const rows = {
    cat: [
      ...Array.from({ length: 4 }, (_, i) => row('cat', 'train', 0, 'good', i)),
      ...Array.from({ length: 9 }, (_, i) => row('cat', 'test', 0, 'good', i)),
      ...Array.from({ length: 6 }, (_, i) => row('cat', 'test', 1, 'crack', i)),
      ...Array.from({ length: 6 }, (_, i) => row('cat', 'test', 1, 'scratch', i)),
    ],
  };

  it('takes N defects (round-robin over types) and N normals from the test split only, at most a third, seeded', () => {
    const a = holdOutRealValidation(rows, ['cat'], 5, 1);
    expect(a.heldOut.cat).toEqual({ normals: 3, defects: 4 }); // a third of 9 normals and of 12 defects
    const held = a.validation.map((l) => JSON.parse(l) as { path: string; split: string; defect_type: string });
    expect(held.every((h) => h.split === 'test')).toBe(true);
    expect(held.filter((h) => h.defect_type === 'crack')).toHaveLength(2);
    expect(held.filter((h) => h.defect_type === 'scratch')).toHaveLength(2);
    // Disjoint and complete: every row is in exactly one of the two.
    const kept = new Set(a.rows.cat);
    expect(a.validation.some((l) => kept.has(l))).toBe(false);
    expect(a.rows.cat!.length + a.validation.length).toBe(rows.cat.length);
    expect(holdOutRealValidation(rows, ['cat'], 5, 1)).toEqual(a);
    expect(holdOutRealValidation(rows, ['cat'], 5, 2).validation).not.toEqual(a.validation);
  });
});
