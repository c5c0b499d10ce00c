// TrainingRun and BestEpoch on a tiny dense model: resume-or-fresh start, checkpoints carrying the best epoch,
// the stop and divergence errors, and the result fields every training service reports.
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { initRuntime, type RuntimeInfo } from '../../../src/pipeline/runtime/backend.js';
import { BestEpoch, type BestEpochExtra } from '../../../src/pipeline/train/train-best-epoch.js';
import type { StepContext } from '../../../src/pipeline/train/loop.js';
import { setAdamRate, TrainingRun, type RunLoopOptions, type TrainingRunSetup } from '../../../src/pipeline/train/train-run.js';
import { failure } from '../../helpers/training-run.js';
import { useTempDir } from '../../helpers/temp-dir.js';

function denseModel(seed: number): tf.LayersModel {
  const x = tf.input({ shape: [2] });
  const y = tf.layers.dense({ units: 1, kernelInitializer: tf.initializers.glorotUniform({ seed }) }).apply(x) as tf.SymbolicTensor;
  return tf.model({ inputs: x, outputs: y });
}

/** One Adam step on a fixed regression batch of 3; returns the loss. */
function fit(model: tf.LayersModel, opt: tf.Optimizer): number {
  const cost = opt.minimize(
    () => {
      const pred = model.apply(tf.tensor2d([[1, 2], [0, -1], [3, 1]]), { training: true }) as tf.Tensor;
      return pred.sub(tf.tensor2d([[1], [0], [2]])).square().mean() as tf.Scalar;
    },
    true,
    model.trainableWeights.map((w) => w.read() as tf.Variable),
  ) as tf.Scalar;
  const v = cost.dataSync()[0] as number;
  cost.dispose();
  return v;
}

/** Overwrites the first weight with NaN: the loss of the step that did it still looks finite. */
function poison(model: tf.LayersModel): void {
  tf.tidy(() => model.setWeights(model.getWeights().map((w, i) => (i === 0 ? tf.fill(w.shape, Number.NaN) : w))));
}

const bytes = (a: tf.io.ModelArtifacts): Buffer => Buffer.from(tf.io.CompositeArrayBuffer.join(a.weightData));

async function* threes(): AsyncGenerator<number> {
  yield 3;
  yield 3;
}

type Extra = BestEpochExtra<{ epoch: number }>;

/** A loop of two-image batches, two steps an epoch, whose checkpoints carry no best epoch unless told. */
function toyLoop(epochs: number, step: (ctx: StepContext) => Promise<Record<string, number>>, more: Partial<RunLoopOptions<number, Extra>> = {}): RunLoopOptions<number, Extra> {
  return { epochs, stepsPerEpoch: 2, batches: () => threes(), batchSize: (b) => b, lr: () => 0.1, step: (_, ctx) => step(ctx), checkpoint: () => ({ extra: { best: null } }), ...more };
}

describe('TrainingRun and BestEpoch (dense model, wasm)', () => {
  const tmp = useTempDir('madenet-train-run-');
  let runtime: RuntimeInfo;
  beforeAll(async () => {
    runtime = await initRuntime({ backend: 'wasm', threads: 1 });
  });

  const target = (root: string) => ({ root, kind: 'toy', category: 'c', config: { lr: 0.1 }, seed: 1, runtime });
  const setup = (model: tf.LayersModel, optimizer: tf.Optimizer, more: Partial<TrainingRunSetup> = {}): TrainingRunSetup => ({
    models: { net: model },
    optimizer,
    checkpointEvery: 1,
    started: performance.now(),
    warnings: [],
    options: {},
    ...more,
  });

  it('warns and starts afresh when --resume finds no checkpoint, and says nothing without --resume', async () => {
    const model = denseModel(1);
    const opt = tf.train.adam(0.1);
    const s = setup(model, opt, { freshStart: 'fine-tuning started from the parent' });
    const run = new TrainingRun<Extra>(target(join(tmp.path, 'empty')), s);
    expect(await run.restore(false)).toBeNull();
    expect(s.warnings).toEqual([]);
    expect(await run.restore(true)).toBeNull();
    expect(s.warnings).toEqual([`--resume found no checkpoint in ${join(tmp.path, 'empty', 'checkpoints', 'toy', 'c')}; fine-tuning started from the parent.`]);
    opt.dispose();
    model.dispose();
  });

  it('checkpoints the best epoch with the run, and a resumed run gets it back with the same weights', async () => {
    const before = tf.memory().numTensors;
    const model = denseModel(2);
    const opt = tf.train.adam(0.1);
    const run = new TrainingRun<Extra>(target(join(tmp.path, 'a')), setup(model, opt));
    const best = new BestEpoch<{ epoch: number }>();
    const scores = [0.9, 0.1];
    const train = async (ctx: StepContext) => {
      setAdamRate(opt, ctx.lr);
      return { loss: fit(model, opt) };
    };
    const state = await run.loop(
      toyLoop(2, train, {
        validate: async (epoch) => {
          best.measured({ epoch: epoch + 1 });
          return { score: scores[epoch] ?? null, metrics: {} };
        },
        onBest: () => best.keep({ net: model }),
        checkpoint: () => best.checkpoint(),
      }),
    );
    const fields = run.resultFields(state);
    expect(fields).toMatchObject({ steps: 4, resumedFrom: null, checkpoints: join(tmp.path, 'a', 'checkpoints', 'toy', 'c'), warnings: [] });
    expect(fields.epochs).toHaveLength(2);
    expect(fields.imagesPerSecond).toBeGreaterThan(0);
    const kept = best.chosen('Training');
    expect(kept.evaluation).toEqual({ epoch: 1 });

    const again = denseModel(3);
    const opt2 = tf.train.adam(0.1);
    const resumed = new TrainingRun<Extra>(target(join(tmp.path, 'a')), setup(again, opt2));
    const restored = new BestEpoch<{ epoch: number }>();
    const ckpt = await resumed.restore(true);
    expect(ckpt?.loop.step).toBe(4);
    restored.restore(ckpt!);
    expect(restored.chosen('Training').evaluation).toEqual({ epoch: 1 });
    expect(restored.chosen('Training').weights.net!.weightSpecs).toEqual(kept.weights.net!.weightSpecs);
    expect(bytes(restored.chosen('Training').weights.net!).equals(bytes(kept.weights.net!))).toBe(true);
    expect(resumed.resultFields(ckpt!.loop).resumedFrom).toEqual({ dir: ckpt!.ref.dir, step: 4 });
    [opt, opt2].forEach((o) => o.dispose());
    model.dispose();
    again.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('stops on request with the last checkpoint named, and on overflowed weights with the checkpoint folder', async () => {
    const model = denseModel(4);
    const opt = tf.train.adam(0.1);
    const stop = new AbortController();
    const run = new TrainingRun<Extra>(target(join(tmp.path, 'b')), setup(model, opt, { options: { signal: stop.signal } }));
    const stopped = await failure(
      run.loop(
        toyLoop(2, async (ctx) => {
          if (ctx.step === 2) stop.abort();
          return { loss: fit(model, opt) };
        }),
      ),
    );
    expect(stopped.code).toBe('E_INTERRUPTED');
    expect(stopped.suggestions?.join(' ')).toContain(`The last checkpoint (step 3) is in ${join(tmp.path, 'b', 'checkpoints', 'toy', 'c')}`);
    const diverged = await failure(
      new TrainingRun<Extra>(target(join(tmp.path, 'c')), setup(model, opt)).loop(
        toyLoop(1, async (ctx) => {
          const loss = fit(model, opt);
          if (ctx.step === 1) poison(model);
          return { loss };
        }),
      ),
    );
    expect(diverged.code).toBe('E_DIVERGED');
    expect(diverged.message).toContain('the weights are no longer finite');
    expect(diverged.suggestions?.join(' ')).toContain(join(tmp.path, 'c', 'checkpoints', 'toy', 'c'));
    expect(() => new BestEpoch().chosen('Fine-tuning')).toThrow('Fine-tuning ended without a validated epoch to save.');
    opt.dispose();
    model.dispose();
  });
});
