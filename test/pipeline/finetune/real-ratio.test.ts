import { checkRealRatio, defectSlots, realAtStep } from '../../../src/pipeline/finetune/real-ratio.js';
import { isUnsupported, type SubmodelFinetune } from '../../../src/pipeline/submodels/contract.js';
import { findSubmodel } from '../../../src/pipeline/submodels/registry.js';

/** A kind's batch split, as the fine-tuner reads it from the registry. */
function batchComposition(kind: string, batchSize: number, ratio: number, step: number) {
  const spec = findSubmodel(kind)?.finetune;
  if (!spec || isUnsupported(spec)) throw new Error(`${kind} does not fine-tune`);
  return (spec as SubmodelFinetune).composition(batchSize, ratio, step);
}

describe('real-ratio batch composition', () => {
  it('gives real defects exactly the asked share of defect slots over any run of steps', () => {
    for (const [slots, ratio] of [
      [1, 0.5],
      [2, 0.25],
      [4, 0.75],
      [3, 1 / 3],
      [16, 0.1],
    ] as const) {
      let real = 0;
      for (let step = 0; step < 100; step++) {
        const r = realAtStep(step, slots, ratio);
        expect(r).toBeGreaterThanOrEqual(0);
        expect(r).toBeLessThanOrEqual(slots);
        real += r;
      }
      expect(Math.abs(real - 100 * slots * ratio)).toBeLessThanOrEqual(0.5);
    }
  });

  it('uses no real defects at ratio 0 and only real defects at ratio 1', () => {
    for (let step = 0; step < 10; step++) {
      expect(batchComposition('srad', 4, 0, step)).toEqual({ real: 0, synthetic: 2, clean: 2, normals: 4 });
      expect(batchComposition('srad', 4, 1, step)).toEqual({ real: 2, synthetic: 0, clean: 2, normals: 2 });
    }
  });

  it('fills each kind\'s batch: SRAD half clean, LPD half positive, SFAD real defects instead of normals', () => {
    for (let step = 0; step < 8; step++) {
      const s = batchComposition('srad', 6, 0.5, step);
      expect(s.real + s.synthetic + s.clean).toBe(6);
      expect(s.clean).toBe(3);
      expect(s.normals).toBe(s.clean + s.synthetic);
      const l = batchComposition('lpd', 8, 0.5, step);
      expect(l.real + l.synthetic).toBe(4);
      expect(l.clean).toBe(4);
      expect(l.normals).toBe(4);
      const f = batchComposition('sfad', 4, 0.5, step);
      expect(f.synthetic).toBe(0);
      expect(f.real + f.clean).toBe(4);
      expect(f.real).toBe(1);
    }
    expect(defectSlots(1)).toBe(1);
    expect(defectSlots(5)).toBe(2);
  });

  it('refuses ratios outside [0, 1]', () => {
    expect(checkRealRatio(0)).toBe(0);
    expect(() => checkRealRatio(1.5)).toThrow(/--real-ratio is 1.5/);
    expect(() => checkRealRatio(Number.NaN)).toThrow(/expected a number in \[0, 1\]/);
  });
});
