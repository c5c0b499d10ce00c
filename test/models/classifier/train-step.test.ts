import * as tf from '@tensorflow/tfjs';
import { classifierPreset } from '../../../src/models/classifier/config.js';
import { buildClassifier } from '../../../src/models/classifier/model.js';
import { classifierTrainStep } from '../../../src/models/classifier/train-step.js';
import { describeEachBackend } from '../../helpers/backends.js';
import { runStepsWithoutLeaks } from '../../helpers/tensor-leaks.js';

/** Three classes told apart by colour: red, green, blue tinted 32 px images. */
function batch(): { images: tf.Tensor4D; labels: tf.Tensor1D } {
  return tf.tidy(() => {
    const labels = tf.tensor1d([0, 1, 2, 0, 1, 2], 'int32');
    const tint = tf.oneHot(labels, 3).reshape([6, 1, 1, 3]).mul(0.6);
    const noise = tf.randomUniform([6, 32, 32, 3], 0, 0.3, 'float32', 4);
    return { images: noise.add(tint) as tf.Tensor4D, labels };
  });
}

describeEachBackend('classifier/train-step (tiny, 32 px)', (backend) => {
  it('updates the weights, lowers the loss and leaks no tensors per step (dropout and drop-path on)', async () => {
    const cfg = classifierPreset('tiny', { dropRate: 0.2, backbone: { dropPathRate: 0.1 }, seed: 5 });
    const model = buildClassifier(cfg, 3);
    const b = batch();
    // cpu: one SGD step (no optimiser slots: the tensor count must not move); wasm: six Adam steps.
    const opt = backend === 'cpu' ? tf.train.sgd(0.05) : tf.train.adam(1e-3);
    const steps = backend === 'cpu' ? 1 : 6;
    const head0 = Float32Array.from(model.getLayer('classifier').getWeights()[0]!.dataSync());
    const { results } = await runStepsWithoutLeaks(steps, backend, () => classifierTrainStep(model, opt, cfg, b));
    const losses = results.map((r) => r.loss);
    expect(Number.isFinite(losses[0]!)).toBe(true);
    expect(results[0]!.accuracy).toBeGreaterThanOrEqual(0);
    expect(model.getLayer('classifier').getWeights()[0]!.dataSync()).not.toEqual(head0);
    if (steps > 1) expect(losses[losses.length - 1]!).toBeLessThan(losses[0]!);
    process.stderr.write(`classifier tiny ${backend}: losses ${losses.map((l) => l.toFixed(4)).join(' ')}\n`);
    tf.dispose([b.images, b.labels]);
    opt.dispose();
    model.dispose();
  });
});
