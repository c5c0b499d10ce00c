import * as tf from '@tensorflow/tfjs';
import { sradPreset } from '../../../src/pipeline/submodels/srad/model/config.js';
import { buildSrad, disposeSrad, type SradModels } from '../../../src/pipeline/submodels/srad/model/model.js';
import { sradPredict } from '../../../src/pipeline/submodels/srad/model/predict.js';
import { type SradBatch, sradTrainStep } from '../../../src/pipeline/submodels/srad/model/train-step.js';
import { describeEachBackend } from '../../helpers/backends.js';
import { runStepsWithoutLeaks } from '../../helpers/tensor-leaks.js';

/** Two 32 px images with a bright 8x8 square pasted at different places; the mask marks the square. */
function syntheticBatch(): SradBatch {
  return tf.tidy(() => {
    const clean = tf.randomUniform([2, 32, 32, 3], 0.2, 0.4, 'float32', 11) as tf.Tensor4D;
    const m = new Float32Array(2 * 32 * 32);
    for (let i = 4; i < 12; i++) for (let j = 6; j < 14; j++) m[i * 32 + j] = 1;
    for (let i = 20; i < 28; i++) for (let j = 16; j < 24; j++) m[1024 + i * 32 + j] = 1;
    const mask = tf.tensor4d(m, [2, 32, 32, 1]);
    const image = clean.mul(tf.scalar(1).sub(mask)).add(mask.mul(0.95)) as tf.Tensor4D;
    return { image, clean, mask };
  });
}

function weightOf(models: SradModels, layer: string, which: 'reconstructive' | 'discriminative', i = 0): Float32Array {
  return models[which].getLayer(layer).getWeights()[i]!.dataSync() as Float32Array;
}

describeEachBackend('srad/train-step (tiny, 32 px)', (backend) => {
  it('trains both networks, updates BN statistics, and leaks no tensors per step', async () => {
    const cfg = sradPreset('tiny', { seed: 1 });
    const models = buildSrad(cfg);
    const batch = syntheticBatch();
    // cpu: one SGD step (no optimiser slots, so the tensor count must not move at all), because the pure-JS
    // backend runs ~7x slower under Jest than under tsx. wasm: five Adam steps, counted after the first (slots).
    const opt = backend === 'cpu' ? tf.train.sgd(0.05) : tf.train.adam(1e-2);
    const steps = backend === 'cpu' ? 1 : 5;
    const enc0 = Float32Array.from(weightOf(models, 'enc.conv1', 'reconstructive'));
    const det0 = Float32Array.from(weightOf(models, 'det.head', 'discriminative'));
    const bnMean0 = Float32Array.from(weightOf(models, 'enc.bn1', 'reconstructive', 2));

    const { results, afterFirst } = await runStepsWithoutLeaks(steps, backend, () => sradTrainStep(models, opt, cfg, batch));

    const first = results[0]!;
    const losses = results.map((r) => r.total);
    for (const v of [first.total, first.rec, first.ssim, first.focal]) expect(Number.isFinite(v)).toBe(true);
    expect(first.total).toBeCloseTo(first.rec + first.ssim + first.focal, 4);
    expect(weightOf(models, 'enc.conv1', 'reconstructive')).not.toEqual(enc0);
    expect(weightOf(models, 'det.head', 'discriminative')).not.toEqual(det0);
    expect(weightOf(models, 'enc.bn1', 'reconstructive', 2)).not.toEqual(bnMean0);
    // Adam steps on one batch must lower the loss.
    if (steps > 1) expect(losses[losses.length - 1]!).toBeLessThan(losses[0]!);
    note(backend, losses);

    const pred = sradPredict(models, cfg, batch.image);
    expect(pred.map.shape).toEqual([2, 32, 32]);
    expect(pred.score.shape).toEqual([2]);
    tf.dispose([pred.recon, pred.map, pred.score]);
    expect(tf.memory().numTensors).toBe(afterFirst);

    tf.dispose([batch.image, batch.clean, batch.mask]);
    opt.dispose();
    disposeSrad(models);
  });

  // Determinism is a property of the seeds, not of the backend; checked where a step is fast.
  if (backend !== 'cpu') it('reproduces the first step exactly from the same seed', async () => {
    const run = async () => {
      const cfg = sradPreset('tiny', { seed: 2 });
      const models = buildSrad(cfg);
      const batch = syntheticBatch();
      const opt = tf.train.adam(1e-3);
      const r = await sradTrainStep(models, opt, cfg, batch);
      tf.dispose([batch.image, batch.clean, batch.mask]);
      opt.dispose();
      disposeSrad(models);
      return r;
    };
    expect(await run()).toEqual(await run());
  });
});

function note(backend: string, losses: number[]): void {
  process.stderr.write(`srad tiny ${backend}: losses ${losses.map((l) => l.toFixed(4)).join(' ')}\n`);
}
