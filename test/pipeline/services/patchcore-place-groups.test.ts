// train-patchcore --coreset-scope tile-place groups the train patch rows by tile place: every row of a sample
// (features in sample order, rowsPerSample each) goes to the group of its tile's region, places in first-seen order.
import { describe, expect, it } from '@jest/globals';
import { placeGroups } from '../../../src/pipeline/services/train-patchcore-bank.js';
import type { Sample } from '../../../src/pipeline/io/dataset-types.js';

const tile = (path: string, left: number, top: number): Sample => ({ path, category: 'c', split: 'train', label: 0, defectType: 'good', maskPath: null, region: { left, top, width: 32, height: 32 } });

describe('placeGroups', () => {
  it('puts the rows of tiles of the same region together, across images', () => {
    const samples = [tile('a.png', 0, 0), tile('a.png', 24, 0), tile('b.png', 0, 0), tile('b.png', 0, 24), tile('c.png', 24, 0)];
    expect(placeGroups(samples, 2)).toEqual([
      [0, 1, 4, 5], // (0,0): a, b
      [2, 3, 8, 9], // (24,0): a, c
      [6, 7], // (0,24): b
    ]);
  });

  it('refuses a sample without a tile region (whole images have no place)', () => {
    const whole: Sample = { ...tile('a.png', 0, 0), region: undefined };
    expect(() => placeGroups([whole], 4)).toThrow(/no tile region/);
  });
});
