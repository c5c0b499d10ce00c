// The PatchCore ensemble's combination is one function (model/ensemble.ts) for tensors and arrays: a known answer on
// both, the same numbers from the tfjs Detector and the async detector built on the same members, and the members'
// checks (one input size, usable standardisation) in one place.
import { describe, expect, it } from '@jest/globals';
import * as tf from '@tensorflow/tfjs';
import type { Detector } from '../../../src/pipeline/detectors/detector.js';
import { tfjsAsyncDetector } from '../../../src/pipeline/engines/async-detector.js';
import { patchcoreEnsembleAsyncDetector, patchcoreEnsembleDetector } from '../../../src/pipeline/submodels/patchcore/ensemble-detector.js';
import { arrayArithmetic, combineEnsemble, ensembleInputSize, tensorArithmetic } from '../../../src/pipeline/submodels/patchcore/model/ensemble.js';
import { expectNoLeak, expectNoLeakAsync } from '../../helpers/tensor-leaks.js';
import { thrownBy as thrown } from '../../helpers/thrown.js';

const std = [
  { scoreMean: 1, scoreStd: 2, mapScale: 4 },
  { scoreMean: 3, scoreStd: 1, mapScale: 2 },
];

describe('combineEnsemble', () => {
  it('standardises each member by its held-out statistics and sums: a known answer on arrays', () => {
    const outs = [
      { scores: Float32Array.of(1, 2), maps: Float32Array.of(4, 8) },
      { scores: Float32Array.of(3, 5), maps: Float32Array.of(2, 2) },
    ];
    const c = combineEnsemble(outs, std, arrayArithmetic);
    // (1-1)/2 + (3-3)/1 = 0; (2-1)/2 + (5-3)/1 = 2.5; maps 4/4 + 2/2 = 2, 8/4 + 2/2 = 3.
    expect(Array.from(c.scores)).toEqual([0, 2.5]);
    expect(Array.from(c.maps)).toEqual([2, 3]);
    expect(Array.from(outs[0]?.scores ?? [])).toEqual([1, 2]); // inputs unchanged
  });

  it('gives the same numbers on tensors, leaving no tensor behind inside tidy', () => {
    const c = expectNoLeak(() =>
      tf.tidy(() => {
        const r = combineEnsemble(
          [
            { scores: tf.tensor1d([1, 2]), maps: tf.tensor1d([4, 8]) },
            { scores: tf.tensor1d([3, 5]), maps: tf.tensor1d([2, 2]) },
          ],
          std,
          tensorArithmetic,
        );
        return [Array.from(r.scores.dataSync()), Array.from(r.maps.dataSync())];
      }),
    );
    expect(c).toEqual([
      [0, 2.5],
      [2, 3],
    ]);
  });

  it('refuses a count of outputs other than the members', () => {
    expect(thrown(() => combineEnsemble([{ scores: Float32Array.of(1), maps: Float32Array.of(1) }], std, arrayArithmetic))).toMatchObject({ code: 'E_INTERNAL' });
  });
});

describe('ensembleInputSize', () => {
  it('returns the one size, and refuses mixed sizes, no members and unusable standardisation (E_CONFIG)', () => {
    expect(ensembleInputSize([{ imageSize: 64 }, { imageSize: 64, std: std[0] }])).toBe(64);
    expect(thrown(() => ensembleInputSize([{ imageSize: 64 }, { imageSize: 32 }]))).toMatchObject({ code: 'E_CONFIG', message: expect.stringContaining('64 and 32') });
    expect(thrown(() => ensembleInputSize([]))).toMatchObject({ code: 'E_CONFIG' });
    expect(thrown(() => ensembleInputSize([{ imageSize: 8, std: { scoreMean: 0, scoreStd: 0, mapScale: 1 } }]))).toMatchObject({ code: 'E_CONFIG', message: expect.stringContaining('spread 0') });
  });
});

/** A member with known outputs: score = k x the image mean, map = k x channel 0. */
function fakeMember(k: number, size = 4): Detector {
  return {
    kind: 'patchcore',
    category: 'c',
    imageSize: size,
    artifactDir: null,
    predict: (x) =>
      tf.tidy(() => ({
        scores: x.mean([1, 2, 3]).mul(k) as tf.Tensor1D,
        maps: x.slice([0, 0, 0, 0], [-1, -1, -1, 1]).squeeze([3]).mul(k) as tf.Tensor3D,
      })),
    dispose: () => undefined,
  };
}

describe('the two ensemble detectors', () => {
  it('agree: the tfjs Detector and the async detector over the same members', async () => {
    const members = [fakeMember(2), fakeMember(-3)];
    const sync = patchcoreEnsembleDetector(
      members.map((detector, i) => ({ detector, ...(std[i] as (typeof std)[number]) })),
      { category: 'c', artifactDir: null, ownsMembers: false },
    );
    const async = patchcoreEnsembleAsyncDetector(
      members.map((d, i) => ({ detector: tfjsAsyncDetector(d), ...(std[i] as (typeof std)[number]) })),
      { category: 'c', artifactDir: null, ownsMembers: false },
    );
    expect(async.engine).toBe('tfjs');
    const data = Float32Array.from({ length: 2 * 4 * 4 * 3 }, (_, i) => ((i * 37) % 11) / 10);
    const a = await expectNoLeakAsync(() => async.predictAsync(data, 2));
    const s = expectNoLeak(() =>
      tf.tidy(() => {
        const o = sync.predict(tf.tensor4d(data, [2, 4, 4, 3]));
        return { scores: o.scores.dataSync(), maps: o.maps.dataSync() };
      }),
    );
    // Tensor ops round in float32 per op, the array path once per element: equal to float rounding.
    a.scores.forEach((v, i) => expect(v).toBeCloseTo(s.scores[i] as number, 5));
    a.maps.forEach((v, i) => expect(v).toBeCloseTo(s.maps[i] as number, 5));
    // And both are the formula: member scores 2m and -3m of the image mean m.
    const m0 = data.slice(0, 48).reduce((x, v) => x + v, 0) / 48;
    expect(a.scores[0]).toBeCloseTo((2 * m0 - 1) / 2 + (-3 * m0 - 3) / 1, 5);
  });

  it('refuse members of different input sizes, in either form', () => {
    const parts = [
      { detector: fakeMember(1, 4), ...(std[0] as (typeof std)[number]) },
      { detector: fakeMember(1, 8), ...(std[1] as (typeof std)[number]) },
    ];
    expect(thrown(() => patchcoreEnsembleDetector(parts, { category: 'c', artifactDir: null, ownsMembers: false }))).toMatchObject({ code: 'E_CONFIG' });
    const asyncParts = parts.map((p) => ({ ...p, detector: tfjsAsyncDetector(p.detector) }));
    expect(thrown(() => patchcoreEnsembleAsyncDetector(asyncParts, { category: 'c', artifactDir: null, ownsMembers: false }))).toMatchObject({ code: 'E_CONFIG' });
  });
});
