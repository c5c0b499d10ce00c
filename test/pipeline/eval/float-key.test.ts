import { floatKey, isNanKey, keyToFloat, nextUp } from '../../../src/pipeline/eval/float-key.js';
import { Rng } from '../../../src/pipeline/core/random.js';

describe('float keys', () => {
  it('orders keys exactly as the float32 values, with -0 and +0 sharing one key', () => {
    const rng = new Rng(2);
    const values = [-Infinity, Infinity, 0, -0, 1.4e-45, -1.4e-45, 3.4e38, -3.4e38];
    for (let i = 0; i < 2000; i++) values.push(Math.fround((rng.next() - 0.5) * 10 ** rng.int(12) * (rng.next() < 0.1 ? 1e-30 : 1)));
    for (const a of values) {
      for (const b of values.slice(0, 40)) {
        const ka = floatKey(a);
        const kb = floatKey(b);
        const fa = Math.fround(a);
        const fb = Math.fround(b);
        expect([a, b, Math.sign(ka - kb)]).toEqual([a, b, fa < fb ? -1 : fa > fb ? 1 : 0]);
      }
      if (!Object.is(a, -0)) expect(keyToFloat(floatKey(a))).toBe(Math.fround(a));
    }
    expect(floatKey(-0)).toBe(floatKey(0));
    expect(isNanKey(floatKey(NaN))).toBe(true);
    expect(isNanKey(floatKey(-Infinity))).toBe(false);
  });

  it('nextUp gives the next double above', () => {
    expect(nextUp(1)).toBe(1 + Number.EPSILON);
    expect(nextUp(0)).toBe(Number.MIN_VALUE);
    expect(nextUp(-1)).toBeGreaterThan(-1);
    expect(nextUp(-1) - -1).toBe(Number.EPSILON / 2);
    expect(nextUp(0.99)).toBeGreaterThan(0.99);
  });
});
