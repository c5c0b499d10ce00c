import * as tf from '@tensorflow/tfjs';
import { SeededDrop } from '../../../src/models/components/layers-dropout.js';

describe('components/layers-dropout (EfficientNet drop-path and head dropout)', () => {
  it('is the identity outside training and reproducible yet step-varying inside', () => {
    const before = tf.memory().numTensors;
    const x = tf.ones([64, 2, 2, 3]);
    const a = new SeededDrop({ name: 'dp', rate: 0.5, perSample: true, seed: 7 });
    const b = new SeededDrop({ name: 'dp', rate: 0.5, perSample: true, seed: 7 });
    const idle = a.apply(x, { training: false }) as tf.Tensor;
    expect(Array.from(idle.dataSync())).toEqual(Array.from(x.dataSync()));
    const a1 = a.apply(x, { training: true }) as tf.Tensor;
    const a2 = a.apply(x, { training: true }) as tf.Tensor;
    const b1 = b.apply(x, { training: true }) as tf.Tensor;
    // Same seed, same call index -> same mask; next call -> another mask.
    expect(Array.from(a1.dataSync())).toEqual(Array.from(b1.dataSync()));
    expect(Array.from(a1.dataSync())).not.toEqual(Array.from(a2.dataSync()));
    // Per-sample: each sample is all 0 or all 1/(1-rate) = 2; about half are kept.
    const per = tf.tidy(() => a1.reshape([64, 12]).arraySync()) as number[][];
    for (const row of per) expect(new Set(row).size).toBe(1);
    const kept = per.filter((r) => r[0] === 2).length;
    expect(per.every((r) => r[0] === 0 || r[0] === 2)).toBe(true);
    expect(kept).toBeGreaterThan(16);
    expect(kept).toBeLessThan(48);
    tf.dispose([x, idle, a1, a2, b1]);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('round-trips its config through serialisation', () => {
    const l = new SeededDrop({ name: 'hd', rate: 0.3, seed: 11 });
    const cfg = l.getConfig();
    expect(cfg).toMatchObject({ name: 'hd', rate: 0.3, perSample: false, seed: 11 });
    const back = tf.serialization.SerializationMap.getMap().classNameMap['MadenetSeededDrop'];
    expect(back?.[0]).toBe(SeededDrop);
  });
});
