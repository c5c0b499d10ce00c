// chooseFallback: the low-confidence fallback kind from validation objectives alone, checked on hand-made maps.
import { chooseFallback } from '../../../src/pipeline/perfmap/fallback.js';
import type { SubmodelKind } from '../../../src/pipeline/detectors/detector.js';

const entry = (objectives: Partial<Record<SubmodelKind, number | null>>) => ({
  candidates: Object.entries(objectives).map(([kind, objective]) => ({ kind: kind as SubmodelKind, objective })) as never,
});

describe('chooseFallback', () => {
  it('picks the kind with the best mean validation objective over the categories', () => {
    // patchcore (0.9 + 0.5) / 2 = 0.7 beats sfad (0.6 + 0.7) / 2 = 0.65 and lpd 0.55, although sfad wins category b.
    const f = chooseFallback({ a: entry({ sfad: 0.6, lpd: 0.5, patchcore: 0.9 }), b: entry({ sfad: 0.7, lpd: 0.6, patchcore: 0.5 }) });
    expect(f?.kind).toBe('patchcore');
    expect(f?.meanObjective).toBeCloseTo(0.7, 12);
    expect(f?.ranking.map((r) => r.kind)).toEqual(['patchcore', 'sfad', 'lpd']);
    expect(f?.ranking[1]?.meanObjective).toBeCloseTo(0.65, 12);
  });

  it('leaves out a kind that a category lacks or could not score, and keeps sfad on a tie', () => {
    // patchcore is best where it exists but category b has none; lpd has no objective in a.
    const f = chooseFallback({ a: entry({ sfad: 0.5, lpd: null, patchcore: 0.99 }), b: entry({ sfad: 0.5, lpd: 0.9, srad: 0.5 }) });
    expect(f?.kind).toBe('sfad');
    expect(f?.ranking.map((r) => r.kind)).toEqual(['sfad']);
    // srad and sfad tie at 0.5: sfad (MADE-Net's own fallback) first, whatever order they were listed in.
    const tie = chooseFallback({ a: entry({ srad: 0.5, sfad: 0.5 }), b: entry({ srad: 0.5, sfad: 0.5 }) });
    expect(tie?.ranking.map((r) => r.kind)).toEqual(['sfad', 'srad']);
  });

  it('suggests nothing without a kind common to every category', () => {
    expect(chooseFallback({})).toBeNull();
    expect(chooseFallback({ a: entry({ sfad: 0.5 }), b: entry({ lpd: 0.5 }) })).toBeNull();
  });
});
