import { runTrainLoop, type LoopState, type TrainLoopOptions } from '../../../src/pipeline/train/loop.js';
import { defaultStepSchedule, stepDecayLr } from '../../../src/pipeline/train/schedule.js';
import { MadenetError } from '../../../src/pipeline/core/errors.js';

async function* numbers(epoch: number, n: number): AsyncGenerator<number> {
  for (let i = 0; i < n; i++) yield epoch * 100 + i;
}

/** A loop over numbered batches (epoch * 100 + i, `stepsPerEpoch` of them) at lr 1e-3, with `step` and `more`. */
function numberLoop(epochs: number, stepsPerEpoch: number, batchSize: number, step: TrainLoopOptions<number>['step'], more: Partial<TrainLoopOptions<number>> = {}): TrainLoopOptions<number> {
  return { epochs, stepsPerEpoch, batches: (e) => numbers(e, stepsPerEpoch), batchSize: () => batchSize, step, lr: () => 1e-3, ...more };
}

describe('runTrainLoop', () => {
  it('runs every step once, validates each epoch and keeps the best epoch', async () => {
    const seen: number[] = [];
    const scores = [0.5, 0.9, 0.7];
    let bestCalls = 0;
    const step = async (b: number) => {
      seen.push(b);
      return { loss: 1 / (seen.length + 1) };
    };
    const state = await runTrainLoop(
      numberLoop(3, 4, 2, step, {
        validate: async (e) => ({ score: scores[e] ?? null, metrics: { auroc: scores[e] ?? null } }),
        onBest: async () => {
          bestCalls++;
        },
      }),
    );
    expect(seen).toEqual([0, 1, 2, 3, 100, 101, 102, 103, 200, 201, 202, 203]);
    expect(state.step).toBe(12);
    expect(state.bestEpoch).toBe(2);
    expect(state.bestScore).toBe(0.9);
    expect(bestCalls).toBe(2);
    expect(state.history.map((h) => h.epoch)).toEqual([1, 2, 3]);
  });

  it('resumes from a checkpoint at the step it was saved and replays nothing twice', async () => {
    const checkpoints: LoopState[] = [];
    const first: number[] = [];
    const crash = new Error('killed');
    const crashing = async (b: number) => {
      if (first.length === 9) throw crash;
      first.push(b);
      return { loss: b };
    };
    const save = async (s: LoopState) => {
      checkpoints.push(structuredClone(s));
    };
    await expect(runTrainLoop(numberLoop(2, 5, 1, crashing, { checkpointEvery: 3, saveCheckpoint: save }))).rejects.toBe(crash);
    const last = checkpoints.at(-1) as LoopState;
    expect(checkpoints.map((c) => c.step)).toEqual([3, 5, 8]);
    expect(last.step).toBe(8);
    expect(first).toEqual([0, 1, 2, 3, 4, 100, 101, 102, 103]);
    const second: number[] = [];
    const step = async (b: number) => {
      second.push(b);
      return { loss: b };
    };
    const state = await runTrainLoop(numberLoop(2, 5, 1, step, { resume: last }));
    expect(second).toEqual([103, 104]);
    expect(state.step).toBe(10);
    // The resumed epoch's mean covers all five of its steps, not only the two run after the resume.
    expect(state.history.at(-1)?.meanLoss).toBe((100 + 101 + 102 + 103 + 104) / 5);
    expect(state.partial).toBeUndefined();
  });

  it('stops with E_DIVERGED on a NaN loss', async () => {
    const run = runTrainLoop(numberLoop(1, 3, 1, async (b) => ({ loss: b === 1 ? Number.NaN : 1 })));
    await expect(run).rejects.toBeInstanceOf(MadenetError);
    await expect(run).rejects.toMatchObject({ code: 'E_DIVERGED' });
  });
});

describe('stepDecayLr', () => {
  it('decays by gamma at 80% and 90% of the steps', () => {
    const s = defaultStepSchedule(1e-3, 100);
    expect(stepDecayLr(s, 0)).toBeCloseTo(1e-3);
    expect(stepDecayLr(s, 79)).toBeCloseTo(1e-3);
    expect(stepDecayLr(s, 80)).toBeCloseTo(2e-4);
    expect(stepDecayLr(s, 95)).toBeCloseTo(4e-5);
  });
});
