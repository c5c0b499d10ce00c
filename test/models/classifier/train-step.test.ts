import * as tf from '@tensorflow/tfjs';
import { classifierPreset } from '../../../src/models/classifier/config.js';
import { buildClassifier, buildClassifierOn } from '../../../src/models/classifier/model.js';
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

/** A small body with one batch norm, standing in for a packaged pretrained network ([0,1] in, a feature map out). */
function bnBody(): tf.LayersModel {
  const x = tf.input({ shape: [32, 32, 3] });
  const c = tf.layers.conv2d({ filters: 4, kernelSize: 3, strides: 2, kernelInitializer: tf.initializers.glorotUniform({ seed: 3 }), name: 'body_conv' }).apply(x) as tf.SymbolicTensor;
  const n = tf.layers.batchNormalization({ name: 'body_bn', momentum: 0.999 }).apply(c) as tf.SymbolicTensor;
  return tf.model({ inputs: x, outputs: n });
}

describe('classifier/train-step on a pretrained body', () => {
  it('keeps the body\'s batch-norm statistics (inference mode) and still trains; an EfficientNet from scratch updates them', async () => {
    const b = batch();
    const movingMean = (m: tf.LayersModel, name: string): Float32Array => Float32Array.from(m.getLayer(name).getWeights()[2]!.dataSync());
    const packed = classifierPreset('small', { imageSize: 32, seed: 5, network: 'npm:test/bn-body', networkLayer: 'body_bn' });
    const onBody = buildClassifierOn(bnBody(), packed, 3);
    const bodyMean0 = movingMean(onBody, 'body_bn');
    const conv0 = Float32Array.from(onBody.getLayer('body_conv').getWeights()[0]!.dataSync());
    const opt = tf.train.adam(1e-2);
    for (let i = 0; i < 3; i++) await classifierTrainStep(onBody, opt, packed, b);
    expect(movingMean(onBody, 'body_bn')).toEqual(bodyMean0);
    // Fine-tuned all the same: the body's own weights moved.
    expect(onBody.getLayer('body_conv').getWeights()[0]!.dataSync()).not.toEqual(conv0);

    const scratch = classifierPreset('tiny', { seed: 5 });
    const eff = buildClassifier(scratch, 3);
    const effMean0 = movingMean(eff, 'bn1');
    const opt2 = tf.train.adam(1e-2);
    await classifierTrainStep(eff, opt2, scratch, b);
    expect(movingMean(eff, 'bn1')).not.toEqual(effMean0);
    tf.dispose([b.images, b.labels]);
    opt.dispose();
    opt2.dispose();
    onBody.dispose();
    eff.dispose();
  });
});
