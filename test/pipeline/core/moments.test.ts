import { describe, expect, it } from '@jest/globals';
import { meanAndSpread, MIN_SPREAD } from '../../../src/pipeline/core/moments.js';

describe('meanAndSpread', () => {
  it('gives the mean, the population variance and its square root', () => {
    const m = meanAndSpread([1, 2, 3, 6]);
    expect(m.mean).toBe(3);
    expect(m.variance).toBeCloseTo(3.5, 12);
    expect(m.std).toBeCloseTo(Math.sqrt(3.5), 12);
  });

  it('floors the spread of identical values at MIN_SPREAD (callers divide by it), the variance stays 0', () => {
    expect(meanAndSpread([0.25, 0.25, 0.25])).toEqual({ mean: 0.25, variance: 0, std: MIN_SPREAD });
  });
});
