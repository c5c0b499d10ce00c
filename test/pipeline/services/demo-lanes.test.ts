// How many lane processes a demo trains in (demo-lanes.ts): one 1-thread lane per wasm thread, capped by the jobs,
// none on backends that share one device; and the quick plan's budget as data (what the README's timings assume).
import { DEMO_PLANS } from '../../../src/pipeline/services/demo-plan.js';
import { laneChildScript, planLanes } from '../../../src/pipeline/services/demo-lanes.js';
import { MadenetError } from '../../../src/pipeline/core/errors.js';

describe('planLanes', () => {
  it('gives each wasm thread its own 1-thread lane, at most one lane per job', () => {
    expect(planLanes({ backend: 'wasm', threads: 2 }, 5)).toEqual({ lanes: 2, threadsPerLane: 1 });
    expect(planLanes({ backend: 'wasm', threads: 8 }, 5)).toEqual({ lanes: 5, threadsPerLane: 1 });
    expect(planLanes({ backend: 'wasm', threads: 8 }, 3)).toEqual({ lanes: 3, threadsPerLane: 2 });
    expect(planLanes({ backend: 'wasm', threads: 1 }, 5)).toEqual({ lanes: 1, threadsPerLane: 1 });
  });

  it('keeps native and GPU backends in one process (they share one device)', () => {
    expect(planLanes({ backend: 'tensorflow', threads: 8 }, 5).lanes).toBe(1);
    expect(planLanes({ backend: 'webgpu', threads: 8 }, 5).lanes).toBe(1);
    expect(planLanes({ backend: 'cpu', threads: 1 }, 5).lanes).toBe(1);
  });

  it('takes a requested count (1 = in-process), capped by the jobs, and refuses a non-positive one', () => {
    expect(planLanes({ backend: 'wasm', threads: 2 }, 5, 1)).toEqual({ lanes: 1, threadsPerLane: 2 });
    expect(planLanes({ backend: 'wasm', threads: 4 }, 2, 3)).toEqual({ lanes: 2, threadsPerLane: 2 });
    expect(() => planLanes({ backend: 'wasm', threads: 2 }, 5, 0)).toThrow(MadenetError);
    expect(() => planLanes({ backend: 'wasm', threads: 2 }, 5, 1.5)).toThrow(/expected a positive integer/);
  });

  it('has no child script to fork when running from the TypeScript sources', () => {
    // Under ts-jest this module is a .ts file: the demo then runs every step in-process.
    expect(laneChildScript()).toBeNull();
  });
});

describe('the quick demo plan', () => {
  it('keeps the budget the README measured (LPD 16 epochs at 128 px, SRAD 5, pre-classifier 9 + 5)', () => {
    const q = DEMO_PLANS.quick;
    expect(q.categories).toEqual(['BGA', 'QFN', 'SOIC', 'CAPACITOR']);
    expect([q.lpd.epochs, q.lpd.imageSize, q.lpd.batchSize]).toEqual([16, 128, 16]);
    expect([q.srad.epochs, q.sfad.epochs, q.classifier.epochs, q.classifierFinetune?.epochs]).toEqual([5, 40, 9, 5]);
  });
});
