import * as tf from '@tensorflow/tfjs';
import { initRuntime } from '../../../src/pipeline/runtime/backend.js';
import { benchTable } from '../../../src/pipeline/runtime/bench/bench-table.js';
import { runEngineBench } from '../../../src/pipeline/runtime/bench/engine-bench.js';
import { UNET_PARAMS, buildReferenceUnet, createUnetTrainer, referenceUnetForwardFlops } from '../../../src/pipeline/runtime/bench/reference-unet.js';
import { median, timeIt } from '../../../src/pipeline/runtime/bench/timing.js';

describe('reference U-Net', () => {
  beforeAll(async () => {
    await initRuntime({ backend: 'wasm', threads: 1 });
  });

  it('has the documented parameter count and FLOPs, and maps [N,H,W,3] to [N,H,W,3]', () => {
    const model = buildReferenceUnet(32, 48);
    const trainable = model.trainableWeights.reduce((n, w) => n + (w.shape as number[]).reduce((p, d) => p * d, 1), 0);
    expect(trainable).toBe(UNET_PARAMS);
    expect(model.outputs[0].shape).toEqual([null, 32, 48, 3]);
    model.dispose();
    expect(referenceUnetForwardFlops() / 1e9).toBeCloseTo(4.64, 2);
  });

  it('trains: the MSE falls over a few Adam steps, and nothing leaks', async () => {
    const before = tf.memory().numTensors;
    const t = createUnetTrainer([2, 16, 16, 3]);
    const losses: number[] = [];
    for (let i = 0; i < 6; i++) losses.push(await t.step());
    expect(losses[5]).toBeLessThan(losses[0]);
    expect(Number.isFinite(await t.infer())).toBe(true);
    t.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('engine benchmark', () => {
  it('reports the JSON contract for each backend, runs the submodel hooks, and skips PyTorch when told', async () => {
    let steps = 0;
    let infers = 0;
    const result = await runEngineBench({
      backends: ['wasm', 'cpu'],
      threads: 1,
      reps: 2,
      warmup: 1,
      opBudgetMs: 30,
      pytorch: false,
      seed: 3,
      unetInput: [1, 16, 16, 3],
      hooks: [
        {
          name: 'toy',
          create: () => ({
            trainStep: () => steps++,
            inferBatch: () => infers++,
            dispose: () => undefined,
          }),
        },
      ],
    });
    const wasm = result.backends.wasm;
    for (const key of ['matmulGflops', 'convGflops', 'convBackpropFilterGflops', 'convBackpropInputGflops', 'unetTrainStepMs', 'unetInferMs'] as const) {
      expect(wasm[key]).toBeGreaterThan(0);
    }
    expect(wasm.submodels.toy).toEqual({ trainStepMs: expect.any(Number), inferMs: expect.any(Number) });
    expect(steps).toBe(3);
    expect(infers).toBe(3);
    expect(result.backends.cpu.unetTrainStepMs).toBeNull();
    expect(result.backends.cpu.skipped[0]).toMatch(/too slow/);
    expect(result.backends.cpu.submodels.toy).toEqual({ skipped: expect.stringMatching(/too slow/) });
    expect(result.pytorch).toEqual({ skipped: 'disabled (--no-pytorch)' });
    expect(result.ratioToPytorch).toEqual({});
    expect(benchTable(result)).toMatch(/U-Net train step ms/);
  });

  it('names unavailable backends with the reason instead of failing', async () => {
    const result = await runEngineBench({
      backends: ['tensorflow'], threads: 1, reps: 1, warmup: 0, opBudgetMs: 10, pytorch: false, seed: 1, unetInput: [1, 16, 16, 3], hooks: [],
    });
    // Where tfjs-node is installed this backend is measured instead.
    if (!('tensorflow' in result.backends)) expect(result.unavailable.tensorflow).toMatch(/not installed/);
  });
});

describe('timing', () => {
  it('takes medians of timed runs after the warm-up, awaiting what a run returns', async () => {
    let calls = 0;
    let settled = 0;
    const t = await timeIt(async () => {
      calls++;
      await new Promise((r) => setImmediate(r));
      settled++;
    }, 5, 2);
    expect(settled).toBe(7);
    expect(calls).toBe(7);
    expect(t.reps).toBe(5);
    expect(median([5, 1, 3])).toBe(3);
    expect(median([4, 1, 3, 2])).toBe(2.5);
  });
});
