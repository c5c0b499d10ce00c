import { averagePrecision, f1Max, imageAuroc, tprAtFpr } from '../../../src/pipeline/eval/image-metrics.js';
import { DIGITS, loadReference, type MetricsReference } from './reference.js';

const ref = loadReference<MetricsReference>('metrics-reference.json');

describe('image metrics against scikit-learn', () => {
  it.each(ref.image.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    // Given scores with ties and labels; When each metric is computed; Then it equals sklearn's value.
    const auroc = imageAuroc(c.scores, c.labels);
    const ap = averagePrecision(c.scores, c.labels);
    if (c.auroc === null) expect(auroc).toBeNull();
    else expect(auroc).toBeCloseTo(c.auroc, DIGITS);
    if (c.ap === null) expect(ap).toBeNull();
    else expect(ap).toBeCloseTo(c.ap, DIGITS);

    const f1 = f1Max(c.scores, c.labels);
    if (c.f1max === null) expect(f1).toBeNull();
    else {
      expect(f1).not.toBeNull();
      expect(f1?.f1).toBeCloseTo(c.f1max.f1, DIGITS);
      expect(f1?.threshold).toBe(c.f1max.threshold);
      expect(f1?.precision).toBeCloseTo(c.f1max.precision, DIGITS);
      expect(f1?.recall).toBeCloseTo(c.f1max.recall, DIGITS);
    }

    expect(c.tprAtFpr.map((t) => t.target)).toEqual(ref.fprTargets);
    for (const { target, result: want } of c.tprAtFpr) {
      const got = tprAtFpr(c.scores, c.labels, target);
      if (want === null) {
        expect(got).toBeNull();
        continue;
      }
      expect(got?.tpr).toBeCloseTo(want.tpr, DIGITS);
      expect(got?.fpr).toBeCloseTo(want.fpr, DIGITS);
      expect(got?.threshold).toBe(want.threshold ?? Infinity);
    }
  });

  it('treats every tied score as one cut (no order dependence)', () => {
    // Given the same multiset of (score, label) pairs in two orders, Then the metrics are identical.
    const scores = [0.3, 0.3, 0.3, 0.1, 0.9, 0.3];
    const labels = [1, 0, 1, 0, 1, 0];
    const perm = [5, 3, 1, 0, 4, 2];
    const s2 = perm.map((i) => scores[i] as number);
    const l2 = perm.map((i) => labels[i] as number);
    expect(imageAuroc(s2, l2)).toBe(imageAuroc(scores, labels));
    expect(averagePrecision(s2, l2)).toBe(averagePrecision(scores, labels));
    // Mann-Whitney by hand: pairs (pos, neg) = 3 x 3; 0.9 beats all 3, each 0.3 beats 0.1 and ties two 0.3s.
    expect(imageAuroc(scores, labels)).toBeCloseTo((3 + 2 * (1 + 0.5 * 2)) / 9, 15);
  });

  it('rejects NaN scores and labels other than 0/1 with stable codes', () => {
    expect(() => imageAuroc([0.1, NaN], [0, 1])).toThrow(expect.objectContaining({ code: 'E_PREDICTIONS' }));
    expect(() => imageAuroc([0.1, 0.2], [0, 2])).toThrow(expect.objectContaining({ code: 'E_USAGE' }));
    expect(() => imageAuroc([0.1], [0, 1])).toThrow(expect.objectContaining({ code: 'E_USAGE' }));
  });
});
