// The variant explorer's score arithmetic against hand-computed numbers: standardisation on the held-out normals
// (as train-patchcore's patchcoreImageScore), reweighting as a factor, and the two-backbone ensemble sum.
import { ensembleScores, meanStd, variantScores, type Scored } from '../../bench/real/patchcore-variant-scores.js';
import { Rng } from '../../src/pipeline/core/random.js';

const scored = (terms: number[], global: number[], weights = terms.map(() => 1)): Scored => ({
  terms: new Map([[0.1, terms]]),
  global,
  weights: new Map([
    [1, terms.map(() => 1)],
    [9, weights],
  ]),
});

describe('PatchCore variant scores', () => {
  it('meanStd is the population mean and spread, floored at 1e-6', () => {
    expect(meanStd([1, 3])).toEqual([2, 1]);
    expect(meanStd([5, 5, 5])).toEqual([5, 1e-6]);
  });

  it('global weight 0 gives the patch term (times the reweighting factor); > 0 standardises both terms on the held-out normals', () => {
    const held = scored([1, 3], [10, 14]); // patch mean 2 sd 1, global mean 12 sd 2
    const set = scored([4, 2], [12, 18], [0.5, 1]);
    expect(variantScores(held, set, 0.1, 0, 1)).toEqual([4, 2]);
    expect(variantScores(held, set, 0.1, 0, 9)).toEqual([2, 2]);
    // (4-2)/1 + 0.5 (12-12)/2 = 2 ; (2-2)/1 + 0.5 (18-12)/2 = 1.5
    expect(variantScores(held, set, 0.1, 0.5, 1)).toEqual([2, 1.5]);
    expect(() => variantScores(held, set, 0.05, 0, 1)).toThrow(/not scored/);
  });

  it('the ensemble sums each member standardised on its own held-out normals; it is deterministic and order-free', () => {
    const a = { held: [1, 3], x: [2, 4, 0] }; // z: 0, 2, -2
    const b = { held: [10, 30], x: [40, 20, 10] }; // mean 20, sd 10 -> z: 2, 0, -1
    expect(ensembleScores([a, b])).toEqual([2, 2, -3]);
    expect(ensembleScores([b, a])).toEqual(ensembleScores([a, b]));
    // Seeded random members: the same seed gives the same ensemble, bit for bit.
    const member = (seed: number): { held: number[]; x: number[] } => {
      const rng = new Rng(seed);
      return { held: Array.from({ length: 20 }, () => rng.normal()), x: Array.from({ length: 30 }, () => rng.normal() * 3) };
    };
    expect(ensembleScores([member(1), member(2)])).toEqual(ensembleScores([member(1), member(2)]));
    expect(ensembleScores([member(1), member(2)])).not.toEqual(ensembleScores([member(1), member(3)]));
    expect(() => ensembleScores([a, { held: [1, 2], x: [1] }])).toThrow(/different numbers/);
    expect(() => ensembleScores([])).toThrow(/at least one/);
  });
});
