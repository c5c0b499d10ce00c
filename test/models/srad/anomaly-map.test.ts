import * as tf from '@tensorflow/tfjs';
import { meanFilter, sradAnomalyMap, sradImageScore } from '../../../src/pipeline/submodels/srad/model/anomaly-map.js';
import { describeEachBackend } from '../../helpers/backends.js';

/** torch.nn.functional.avg_pool2d(m, k, stride=1, padding=k//2) with count_include_pad=True, by direct loops. */
function naiveAvgPool(m: number[][], k: number): number[][] {
  const r = (k - 1) / 2;
  return m.map((row, i) =>
    row.map((_, j) => {
      let s = 0;
      for (let a = -r; a <= r; a++) for (let b = -r; b <= r; b++) s += m[i + a]?.[j + b] ?? 0;
      return s / (k * k);
    }),
  );
}

describeEachBackend('srad/anomaly-map', () => {
  it('takes the anomaly channel of a softmax or sigmoid mask', () => {
    const before = tf.memory().numTensors;
    const two = tf.tensor4d([0.9, 0.1, 0.4, 0.6], [1, 1, 2, 2]);
    const one = tf.tensor4d([0.1, 0.6], [1, 1, 2, 1]);
    const a = sradAnomalyMap(two);
    const b = sradAnomalyMap(one);
    expect(a.shape).toEqual([1, 1, 2]);
    expect(Array.from(a.dataSync())).toEqual(Array.from(b.dataSync()));
    expect(a.dataSync()[1]).toBeCloseTo(0.6, 6);
    tf.dispose([two, one, a, b]);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('scores with the 21x21 mean filter counting the zero border (9/441 for a 3x3 corner blob, not 9/121)', () => {
    const before = tf.memory().numTensors;
    const size = 30;
    const corner = new Float32Array(size * size);
    for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) corner[i * size + j] = 1;
    const centre = new Float32Array(size * size);
    for (let i = 10; i < 15; i++) for (let j = 12; j < 17; j++) centre[i * size + j] = 1;
    const maps = tf.tensor3d([...corner, ...centre], [2, size, size]);
    const score = sradImageScore(maps, 21);
    const s = score.dataSync();
    // A window centred within 10 px of the corner covers the whole blob; the divisor is always 441.
    expect(s[0]).toBeCloseTo(9 / 441, 6);
    expect(s[1]).toBeCloseTo(25 / 441, 6);
    tf.dispose([maps, score]);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('meanFilter equals avg_pool2d(count_include_pad=True) everywhere on a random map', () => {
    const m = tf.tidy(() => tf.randomUniform([1, 9, 12], 0, 1, 'float32', 5)) as tf.Tensor3D;
    const f = meanFilter(m, 5);
    const ref = naiveAvgPool((m.arraySync() as number[][][])[0]!, 5);
    const got = (f.arraySync() as number[][][])[0]!;
    got.flat().forEach((v, i) => expect(v).toBeCloseTo(ref.flat()[i]!, 5));
    tf.dispose([m, f]);
  });
});
