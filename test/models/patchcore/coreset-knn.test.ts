import { describe, expect, it } from '@jest/globals';
import * as tf from '@tensorflow/tfjs';
import { coresetSize } from '../../../src/pipeline/submodels/patchcore/model/config.js';
import { greedyCoreset, groupCoresetSizes, groupedGreedyCoreset } from '../../../src/pipeline/submodels/patchcore/model/coreset.js';
import { nearestDistances } from '../../../src/pipeline/submodels/patchcore/model/knn.js';
import { Rng } from '../../../src/pipeline/core/random.js';
import { describeEachBackend } from '../../helpers/backends.js';

function randomRows(rows: number, dim: number, seed: number): Float32Array {
  const rng = new Rng(seed);
  return Float32Array.from({ length: rows * dim }, () => rng.normal());
}

/** The textbook k-centre greedy in plain JS (float64), starting from `first`. */
function bruteCoreset(x: Float32Array, rows: number, dim: number, size: number, first: number): number[] {
  const minD = new Array<number>(rows).fill(Number.POSITIVE_INFINITY);
  const chosen: number[] = [];
  let cur = first;
  for (let k = 0; k < size; k++) {
    chosen.push(cur);
    let far = -1;
    let farIdx = 0;
    for (let r = 0; r < rows; r++) {
      let s = 0;
      for (let j = 0; j < dim; j++) s += ((x[r * dim + j] as number) - (x[cur * dim + j] as number)) ** 2;
      minD[r] = Math.min(minD[r] as number, s);
      if ((minD[r] as number) > far) {
        far = minD[r] as number;
        farIdx = r;
      }
    }
    cur = farIdx;
  }
  return chosen;
}

describeEachBackend('PatchCore coreset and kNN', () => {
  it('Given the same seed, the coreset is the same; it matches the brute-force greedy k-centre without projection', () => {
    const rows = 120;
    const dim = 6;
    const data = randomRows(rows, dim, 1);
    const before = tf.memory().numTensors;
    const x = tf.tensor2d(data, [rows, dim]);
    const a = greedyCoreset(x, { size: 15, seed: 7 });
    const b = greedyCoreset(x, { size: 15, seed: 7 });
    expect(Array.from(a)).toEqual(Array.from(b));
    expect(new Set(a).size).toBe(15);
    expect(Array.from(a)).toEqual(bruteCoreset(data, rows, dim, 15, a[0] as number));
    // Another seed starts elsewhere (the first row is drawn from the seed).
    const seeds = [1, 2, 3, 4, 5].map((s) => greedyCoreset(x, { size: 1, seed: s })[0]);
    expect(new Set(seeds).size).toBeGreaterThan(1);
    x.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('With a random projection the choice stays deterministic and covers the data (max distance to the coreset shrinks)', () => {
    const rows = 200;
    const dim = 32;
    const x = tf.tensor2d(randomRows(rows, dim, 2), [rows, dim]);
    const small = greedyCoreset(x, { size: 5, seed: 0, projectionDim: 8 });
    const big = greedyCoreset(x, { size: 60, seed: 0, projectionDim: 8 });
    expect(Array.from(big.slice(0, 5))).toEqual(Array.from(small)); // greedy: a prefix of the longer run
    const cover = (idx: Int32Array): number =>
      tf.tidy(() => nearestDistances(x, tf.gather(x, tf.tensor1d(idx, 'int32')) as tf.Tensor2D).dist.max().dataSync()[0] as number);
    expect(cover(big)).toBeLessThan(cover(small));
    expect(greedyCoreset(x, { size: 500, seed: 0 })).toHaveLength(rows); // clamped to the bank
    expect(() => greedyCoreset(x, { size: 0, seed: 0 })).toThrow(/positive integer/);
    x.dispose();
  });

  it('The grouped coreset is each group\'s own greedy coreset (seed + group), mapped back to global rows, in group order', () => {
    const rows = 90;
    const dim = 4;
    const data = randomRows(rows, dim, 5);
    const before = tf.memory().numTensors;
    const x = tf.tensor2d(data, [rows, dim]);
    // Interleaved groups (rows 0,3,6,... / 1,4,7,... / 2,5,8,...) and an empty one, which is skipped.
    const groups = [0, 1, 2].map((g) => Array.from({ length: rows / 3 }, (_, i) => i * 3 + g));
    const sizes = [4, 2, 5];
    const idx = groupedGreedyCoreset(x, [...groups, []], [...sizes, 3], { seed: 11 });
    expect(Array.from(idx)).toEqual(Array.from(groupedGreedyCoreset(x, [...groups, []], [...sizes, 3], { seed: 11 })));
    const expected: number[] = [];
    for (const [g, rowsOf] of groups.entries()) {
      const sub = Float32Array.from(rowsOf.flatMap((r) => Array.from(data.subarray(r * dim, (r + 1) * dim))));
      const part = tf.tensor2d(sub, [rowsOf.length, dim]);
      const first = greedyCoreset(part, { size: 1, seed: 11 + g })[0] as number;
      part.dispose();
      expected.push(...bruteCoreset(sub, rowsOf.length, dim, sizes[g] as number, first).map((i) => rowsOf[i] as number));
    }
    expect(Array.from(idx)).toEqual(expected);
    tf.dispose(x);
    expect(tf.memory().numTensors).toBe(before);
    expect(() => groupedGreedyCoreset(x, groups, [1], { seed: 0 })).toThrow(/one size per group/);
  });

  it('kNN distances and indices equal a brute-force search, across bank chunks', () => {
    const q = randomRows(37, 5, 3);
    const m = randomRows(101, 5, 4);
    const before = tf.memory().numTensors;
    const qt = tf.tensor2d(q, [37, 5]);
    const mt = tf.tensor2d(m, [101, 5]);
    const { dist, index } = nearestDistances(qt, mt, { chunk: 16 });
    const d = dist.dataSync();
    const ix = index.dataSync();
    for (let i = 0; i < 37; i++) {
      let best = Number.POSITIVE_INFINITY;
      let bestJ = -1;
      for (let j = 0; j < 101; j++) {
        let s = 0;
        for (let k = 0; k < 5; k++) s += ((q[i * 5 + k] as number) - (m[j * 5 + k] as number)) ** 2;
        if (s < best) {
          best = s;
          bestJ = j;
        }
      }
      expect(d[i]).toBeCloseTo(Math.sqrt(best), 4);
      expect(ix[i]).toBe(bestJ);
    }
    tf.dispose([dist, index, qt, mt]);
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('groupCoresetSizes', () => {
  it('keeps ceil(ratio x rows) per group (at least 1, at most its rows); scaled down in proportion past maxRows', () => {
    expect(groupCoresetSizes([1024, 1024, 512, 3], 0.01, 1000)).toEqual([11, 11, 6, 1]);
    expect(groupCoresetSizes([2, 5], 1, 1000)).toEqual([2, 5]);
    expect(groupCoresetSizes([1000, 3000], 0.5, 400)).toEqual([100, 300]);
    expect(groupCoresetSizes([1000, 3000, 1], 0.5, 400)).toEqual([99, 299, 1]);
  });
});

describe('coresetSize', () => {
  it('is ceil(ratio x rows), at least 1, at most maxBankRows', () => {
    expect(coresetSize({ coresetRatio: 0.1, maxBankRows: 1000 }, 95)).toBe(10);
    expect(coresetSize({ coresetRatio: 0.001, maxBankRows: 1000 }, 5)).toBe(1);
    expect(coresetSize({ coresetRatio: 0.5, maxBankRows: 30 }, 1000)).toBe(30);
  });
});
