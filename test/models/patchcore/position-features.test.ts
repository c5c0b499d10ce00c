import { describe, expect, it } from '@jest/globals';
import * as tf from '@tensorflow/tfjs';
import { patchcoreConfig } from '../../../src/pipeline/submodels/patchcore/model/config.js';
import { nearestDistances } from '../../../src/pipeline/submodels/patchcore/model/knn.js';
import { patchScoreTerm } from '../../../src/pipeline/submodels/patchcore/model/model.js';
import { withPositions } from '../../../src/pipeline/submodels/patchcore/model/patch-features.js';

describe('PatchCore position channels (positionWeight)', () => {
  it('appends weight x (row, column) cell centres as fractions of the grid side, features untouched', async () => {
    const x = tf.tensor4d(Float32Array.from({ length: 2 * 2 * 4 * 3 }, (_, i) => i), [2, 2, 4, 3]);
    const y = withPositions(x, 8);
    expect(y.shape).toEqual([2, 2, 4, 5]);
    const v = (await y.array()) as number[][][][];
    const xv = (await x.array()) as number[][][][];
    for (let n = 0; n < 2; n++) {
      for (let r = 0; r < 2; r++) {
        for (let c = 0; c < 4; c++) {
          expect(v[n]?.[r]?.[c]?.slice(0, 3)).toEqual(xv[n]?.[r]?.[c]);
          expect(v[n]?.[r]?.[c]?.[3]).toBeCloseTo((8 * (r + 0.5)) / 2, 5);
          expect(v[n]?.[r]?.[c]?.[4]).toBeCloseTo((8 * (c + 0.5)) / 4, 5);
        }
      }
    }
    const same = withPositions(x, 0);
    expect(same.shape).toEqual([2, 2, 4, 3]);
    tf.dispose([x, y, same]);
  });

  it('makes the nearest neighbour location-aware: a patch that exists elsewhere in the bank scores high at the wrong place', async () => {
    // Bank image: feature 1 in the left half, 0 in the right half. Query: feature 1 everywhere (right half "wrong").
    const bankImg = tf.tensor4d(Float32Array.from({ length: 4 * 4 }, (_, i) => (i % 4 < 2 ? 1 : 0)), [1, 4, 4, 1]);
    const query = tf.ones([1, 4, 4, 1]) as tf.Tensor4D;
    const score = async (weight: number): Promise<Float32Array> => {
      const bank = withPositions(bankImg, weight).reshape([16, weight > 0 ? 3 : 1]) as tf.Tensor2D;
      const q = withPositions(query, weight).reshape([16, weight > 0 ? 3 : 1]) as tf.Tensor2D;
      const { dist, index } = nearestDistances(q, bank);
      const d = (await dist.data()) as Float32Array;
      tf.dispose([bank, q, dist, index]);
      return d;
    };
    const plain = await score(0);
    expect(Math.max(...plain)).toBeCloseTo(0, 5);
    const located = await score(4);
    // Right half (columns 2, 3) now differs from its bank neighbours; left half still matches exactly.
    for (let r = 0; r < 4; r++) {
      expect(located[r * 4]).toBeCloseTo(0, 4);
      expect(located[r * 4 + 1]).toBeCloseTo(0, 4);
      expect(located[r * 4 + 2] as number).toBeGreaterThan(0.5);
      expect(located[r * 4 + 3] as number).toBeGreaterThan(0.5);
    }
    tf.dispose([bankImg, query]);
  });

  it('defaults to 128 and rejects negative weights with E_CONFIG', () => {
    expect(patchcoreConfig().positionWeight).toBe(128);
    expect(() => patchcoreConfig({ positionWeight: -1 })).toThrow(expect.objectContaining({ code: 'E_CONFIG' }));
  });
});

describe('PatchCore image score patch term (scoreTopFraction)', () => {
  it('0 keeps the max patch distance; > 0 is the mean of the top fraction of the map pixels', async () => {
    const patchMax = tf.tensor1d([7, 9]);
    // Image 0: one hot pixel (100) among 1s; image 1: a 2x2 block of 10s among 0s, 16 pixels each.
    const a = Array.from({ length: 16 }, (_, i) => (i === 5 ? 100 : 1));
    const b = Array.from({ length: 16 }, (_, i) => ([0, 1, 4, 5].includes(i) ? 10 : 0));
    const maps = tf.tensor3d([...a, ...b], [2, 4, 4]);
    const raw = patchScoreTerm(patchMax, maps, { scoreTopFraction: 0 });
    expect(Array.from(await raw.data())).toEqual([7, 9]);
    const top = patchScoreTerm(patchMax, maps, { scoreTopFraction: 0.25 }); // top 4 of 16 pixels
    const v = Array.from(await top.data());
    expect(v[0]).toBeCloseTo((100 + 3) / 4, 5);
    expect(v[1]).toBeCloseTo(10, 5);
    tf.dispose([patchMax, maps, raw, top]);
  });

  it('defaults to 0.1 and rejects fractions outside [0, 1] with E_CONFIG', () => {
    expect(patchcoreConfig().scoreTopFraction).toBe(0.1);
    expect(() => patchcoreConfig({ scoreTopFraction: 1.5 })).toThrow(expect.objectContaining({ code: 'E_CONFIG' }));
  });
});
