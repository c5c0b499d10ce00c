import { categoriesWithoutFallback, routeImage } from '../../../src/pipeline/infer/route.js';
import type { CandidateMetrics, CategoryEntry, PerfMap } from '../../../src/pipeline/perfmap/schema.js';

function cand(kind: 'srad' | 'sfad' | 'lpd', threshold: number): CandidateMetrics {
  return {
    kind,
    artifact: { kind, category: 'x', version: 1, dir: `/a/${kind}`, relativeDir: `../${kind}`, manifestSha256: kind.repeat(8) },
    imageSize: 32,
    imageAuroc: 0.9,
    pixelAp: 0.5,
    objective: 0.7,
    threshold: { threshold, method: 'normal-quantile', fpr: 0, normals: 4, defects: 0 },
    mapRange: { lo: 0, hi: 1 },
  };
}

function entry(chosen: 'srad' | 'sfad' | 'lpd', kinds: ('srad' | 'sfad' | 'lpd')[]): CategoryEntry {
  return { validation: { source: 'synthetic', normals: 4, defects: 8, size: 32 }, chosen, runnerUp: null, margin: null, tie: false, candidates: kinds.map((k, i) => cand(k, i + 0.5)) };
}

function perfmap(categories: Record<string, CategoryEntry>): PerfMap {
  return { schema: 'madenet.perfmap/v1', lambda: 0.5, targetFpr: 0.01, valFraction: 0.2, seed: 1, data: '/d', datasetFingerprint: 'f', classifier: null, categories };
}

const pm = perfmap({ bga: entry('srad', ['srad', 'sfad']), qfn: entry('lpd', ['lpd', 'sfad']), chip: entry('srad', ['srad']) });
const policy = { minConfidence: 0.85, fallback: 'sfad' as const };

describe('routing', () => {
  it('sends a confident classification to the category\'s chosen submodel', () => {
    const r = routeImage(pm, { given: null, classified: { category: 'qfn', confidence: 0.85 } }, policy);
    expect(r).toMatchObject({ category: 'qfn', kind: 'lpd', classifier: { category: 'qfn', confidence: 0.85 }, record: { reason: 'confident', minConfidence: 0.85 } });
    expect(r.candidate.threshold.threshold).toBe(0.5);
  });

  it('falls back to SFAD (or --fallback) below the confidence threshold, and says what it passed over', () => {
    const r = routeImage(pm, { given: null, classified: { category: 'bga', confidence: 0.8499 } }, policy);
    expect(r).toMatchObject({ category: 'bga', kind: 'sfad', record: { reason: 'low-confidence-fallback', chosen: 'srad', minConfidence: 0.85 } });
    expect(r.candidate.threshold.threshold).toBe(1.5);
    const lpd = routeImage(pm, { given: null, classified: { category: 'qfn', confidence: 0.2 } }, { minConfidence: 0.85, fallback: 'lpd' });
    expect(lpd).toMatchObject({ kind: 'lpd', record: { reason: 'low-confidence-fallback', chosen: 'lpd' } });
  });

  it('refuses a fallback the map does not have, naming the category', () => {
    expect(() => routeImage(pm, { given: null, classified: { category: 'chip', confidence: 0.5 } }, policy)).toThrow(
      expect.objectContaining({ code: 'E_PERFMAP', message: expect.stringContaining('no sfad model for chip') }),
    );
    expect(categoriesWithoutFallback(pm, 'sfad')).toEqual(['chip']);
  });

  it('rejects a category the map does not know, whoever named it', () => {
    const fromClassifier = (): unknown => routeImage(pm, { given: null, classified: { category: 'dpak', confidence: 0.99 } }, policy);
    expect(fromClassifier).toThrow(expect.objectContaining({ code: 'E_CATEGORY', message: expect.stringMatching(/^Category dpak \(from the classifier, confidence 0\.990\) is not in the performance map; expected one of: bga, qfn, chip\.$/) }));
    const fromLine = (): unknown => routeImage(pm, { given: { category: 'dpak', from: 'line' }, classified: null }, policy);
    expect(fromLine).toThrow(expect.objectContaining({ code: 'E_CATEGORY', message: expect.stringContaining('from the input line') }));
  });

  it('lets a given category win over the classifier, and needs no classifier for a one-category map', () => {
    const forced = routeImage(pm, { given: { category: 'bga', from: 'flag' }, classified: { category: 'qfn', confidence: 1 } }, policy);
    expect(forced).toMatchObject({ category: 'bga', kind: 'srad', classifier: null, record: { reason: 'forced-category', from: 'flag' } });
    const single = perfmap({ chip: entry('srad', ['srad']) });
    expect(routeImage(single, { given: null, classified: null }, policy)).toMatchObject({ category: 'chip', kind: 'srad', record: { reason: 'no-classifier' } });
    expect(() => routeImage(pm, { given: null, classified: null }, policy)).toThrow(expect.objectContaining({ code: 'E_CATEGORY', message: expect.stringContaining('has no classifier and 3 categories') }));
  });
});
