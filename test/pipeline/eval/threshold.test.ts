import { nextUp } from '../../../src/pipeline/eval/float-key.js';
import { chooseThreshold, labelAt } from '../../../src/pipeline/eval/threshold.js';
import { loadReference, type MetricsReference } from './reference.js';

const ref = loadReference<MetricsReference>('metrics-reference.json');

describe('chooseThreshold', () => {
  it('takes the F1-max threshold (sklearn reference) when validation has defects', () => {
    for (const c of ref.image.filter((x) => x.f1max && x.auroc !== null)) {
      const t = chooseThreshold({ scores: c.scores, labels: c.labels });
      expect([c.name, t.method, t.threshold]).toEqual([c.name, 'f1', c.f1max?.threshold]);
      expect(t.f1).toBeCloseTo(c.f1max?.f1 as number, 12);
    }
  });

  it('takes the normal-only quantile: at most floor(targetFpr * n) validation normals flagged', () => {
    const normals = Array.from({ length: 100 }, (_, i) => i / 100);
    expect(chooseThreshold({ normalScores: normals })).toMatchObject({ method: 'normal-quantile', threshold: 0.99, fpr: 0.01, targetFpr: 0.01 });
    expect(chooseThreshold({ normalScores: normals, targetFpr: 0.05 })).toMatchObject({ threshold: 0.95, fpr: 0.05 });
    expect(chooseThreshold({ normalScores: normals, targetFpr: 0.29 })).toMatchObject({ threshold: 0.71, fpr: 0.29 });
    // Nothing may be flagged: the cut lies just above the highest normal score.
    const none = chooseThreshold({ normalScores: normals, targetFpr: 0 });
    expect(none.threshold).toBe(nextUp(0.99));
    expect(none.threshold).toBeGreaterThan(0.99);
    expect(none.fpr).toBe(0);
    expect(normals.filter((s) => labelAt(s, none.threshold) === 1)).toHaveLength(0);
  });

  it('never splits ties: when the top scores tie beyond the allowance it moves above them', () => {
    const t = chooseThreshold({ normalScores: [0.9, 0.9, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8], targetFpr: 0.1 });
    expect(t.threshold).toBe(nextUp(0.9));
    expect(t.fpr).toBe(0);
    const t2 = chooseThreshold({ normalScores: [0.9, 0.9, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8], targetFpr: 0.3 });
    expect(t2).toMatchObject({ threshold: 0.8, fpr: 0.3 });
  });

  it('falls back to the quantile for labelled validation without defects, and refuses no normals', () => {
    const t = chooseThreshold({ scores: [0.1, 0.5, 0.3], labels: [0, 0, 0], targetFpr: 0.34 });
    expect(t).toMatchObject({ method: 'normal-quantile', threshold: 0.5, defects: 0 });
    expect(() => chooseThreshold({ scores: [0.1], labels: [1] })).toThrow(expect.objectContaining({ code: 'E_DATASET' }));
    expect(() => chooseThreshold({ normalScores: [] })).toThrow(expect.objectContaining({ code: 'E_DATASET' }));
    expect(() => chooseThreshold({ normalScores: [0.1], targetFpr: 1.5 })).toThrow(expect.objectContaining({ code: 'E_USAGE' }));
  });

  it('labels score >= threshold as a defect', () => {
    expect(labelAt(0.5, 0.5)).toBe(1);
    expect(labelAt(0.4999, 0.5)).toBe(0);
  });
});
