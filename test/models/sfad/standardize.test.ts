// Given raw features with channels of very different spreads, when standardised and when the standardisation
// is folded into the adaptor, then the statistics are the hand-computed ones (dead channels floored), and the
// folded adaptor on raw features gives what the trained adaptor gives on standardised features.
import { beforeAll, describe, expect, it } from '@jest/globals';
import * as tf from '@tensorflow/tfjs';
import { buildSfadAdaptor } from '../../../src/pipeline/submodels/sfad/model/model.js';
import { channelMoments, featureStats, foldStandardization, meanSpread, standardizeRows, standardizeTensor, STD_FLOOR_FRACTION } from '../../../src/pipeline/submodels/sfad/model/standardize.js';
import { initRuntime } from '../../../src/pipeline/runtime/backend.js';

describe('sfad/standardize', () => {
  beforeAll(async () => {
    await initRuntime({ backend: 'wasm', threads: 1 });
  });

  it('computes per-channel mean and population std over every location of every row', () => {
    // 3 channels, 4 locations over two rows: channel 0 = 1,3,5,7; channel 1 = 10,10,30,30; channel 2 constant 2.
    const rows = [Float32Array.from([1, 10, 2, 3, 10, 2]), Float32Array.from([5, 30, 2, 7, 30, 2])];
    const s = featureStats(rows, 3);
    expect(Array.from(s.mean)).toEqual([4, 20, 2]);
    expect(s.std[0]).toBeCloseTo(Math.sqrt(5), 6);
    expect(s.std[1]).toBeCloseTo(10, 5);
    // The dead channel is divided by the floor: 10% of the mean spread, not by 0.
    expect(s.std[2]).toBeCloseTo((STD_FLOOR_FRACTION * (Math.sqrt(5) + 10)) / 3, 6);
    expect(() => featureStats([Float32Array.from([1, 2])], 3)).toThrow(/multiple of 3/);
    expect(() => featureStats([Float32Array.from([1, 2, 3])], 3)).toThrow(/at least 2/);
  });

  it('measures the mean per-channel spread (the scale the noise competes with), null under 2 locations', () => {
    // Two images of two locations, D = 2: channel 0 takes 0, 2, 0, 2 (std 1); channel 1 is constant (std 0).
    const bank = [Float32Array.of(0, 5, 2, 5), Float32Array.of(0, 5, 2, 5)];
    expect(meanSpread(channelMoments(bank, 2))).toBeCloseTo(0.5, 6);
    expect(meanSpread(channelMoments([Float32Array.of(1, 2)], 2))).toBeNull();
  });

  it('standardises rows in place and tensors alike, without leaks', () => {
    const rows = [Float32Array.from([1, 10, 3, 10]), Float32Array.from([5, 30, 7, 30])];
    const s = featureStats(rows, 2);
    const raw = tf.tensor4d(Float32Array.from([1, 10, 3, 10, 5, 30, 7, 30]), [2, 1, 2, 2]);
    const before = tf.memory().numTensors;
    const t = standardizeTensor(raw, s);
    expect(tf.memory().numTensors).toBe(before + 1);
    standardizeRows(rows, s);
    expect(Array.from(t.dataSync())).toEqual([...rows[0]!, ...rows[1]!].map((v) => Math.fround(v)));
    const ch0 = [rows[0]![0]!, rows[0]![2]!, rows[1]![0]!, rows[1]![2]!];
    expect(ch0.reduce((a, b) => a + b, 0)).toBeCloseTo(0, 6);
    expect(ch0.reduce((a, b) => a + b * b, 0) / 4).toBeCloseTo(1, 5);
    tf.dispose([raw, t]);
  });

  it('folds the statistics into the adaptor: folded(raw) = adaptor((raw - mean) / std), no leaks', () => {
    const dim = 6;
    const rawValues = Float32Array.from({ length: 40 * dim }, (_, i) => Math.sin(i * 1.7) * (1 + (i % dim) * 3) + (i % dim));
    const s = featureStats([rawValues], dim);
    const trained = buildSfadAdaptor(dim, 11);
    // A non-zero bias, as after training.
    trained.getLayer('adaptor.fc').setWeights([trained.getLayer('adaptor.fc').getWeights()[0]!, tf.tensor1d([0.5, -1, 2, 0, 0.25, -0.75])]);
    const folded = buildSfadAdaptor(dim, null);
    const before = tf.memory().numTensors;
    foldStandardization(trained, folded, s);
    expect(tf.memory().numTensors).toBe(before);
    const raw = tf.tensor2d(rawValues, [40, dim]);
    const std = standardizeTensor(raw, s);
    const want = trained.predict(std) as tf.Tensor;
    const got = folded.predict(raw) as tf.Tensor;
    const err = tf.tidy(() => got.sub(want).abs().max().dataSync()[0]!);
    expect(err).toBeLessThan(1e-4);
    tf.dispose([raw, std, want, got]);
    trained.dispose();
    folded.dispose();
  });
});
