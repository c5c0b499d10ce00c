import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import * as tf from '@tensorflow/tfjs';
import { countTrainableParams } from '../../../src/models/components/conv.js';
import { buildBackbone } from '../../../src/models/components/backbone.js';
import { sfadAnomalyMap, sfadImageScore } from '../../../src/pipeline/submodels/sfad/model/anomaly-map.js';
import { sfadPreset } from '../../../src/pipeline/submodels/sfad/model/config.js';
import {
  buildSfad,
  disposeSfad,
  sfadFeatures,
  sfadNoise,
  sfadPatchScores,
  sfadTrainableVariables,
  sfadTrainingLoss,
  type SfadModel,
} from '../../../src/pipeline/submodels/sfad/model/model.js';
import { initRuntime } from '../../../src/pipeline/runtime/backend.js';
import { describeEachBackend } from '../../helpers/backends.js';
import { roundTrip } from '../../helpers/model-round-trip.js';
import { expectNoLeak } from '../../helpers/tensor-leaks.js';

/** One SimpleNet step: Adam on the adaptor and on the discriminator; returns the losses read back. */
function trainStep(sfad: SfadModel, features: tf.Tensor4D, seed: number, opts: { a: tf.Optimizer; d: tf.Optimizer }): number[] {
  const cfg = sfadPreset('tiny');
  const vars = sfadTrainableVariables(sfad);
  return tf.tidy(() => {
    const { value, grads } = tf.variableGrads(() => {
      const terms = sfadTrainingLoss(sfad, features, cfg, seed);
      return terms.total;
    }, [...vars.adaptor, ...vars.discriminator]);
    opts.a.applyGradients(vars.adaptor.map((v) => ({ name: v.name, tensor: grads[v.name]! })));
    opts.d.applyGradients(vars.discriminator.map((v) => ({ name: v.name, tensor: grads[v.name]! })));
    return [value.dataSync()[0] as number];
  });
}

describe('SFAD paper preset (symbolic)', () => {
  beforeAll(async () => {
    await initRuntime({ backend: 'cpu' });
  });

  it('aggregates layer2 (36x36x512) and layer3 (18x18x1024) of Wide-ResNet-50-2 at 288 px into D = 1536', () => {
    const cfg = sfadPreset('paper');
    const sfad = buildSfad(cfg, { seed: null, backbone: buildBackbone(cfg.backbone, { seed: null, inputSize: cfg.imageSize }) });
    expect(sfad.extractor.outputs.map((o) => o.shape)).toEqual([
      [null, 36, 36, 512],
      [null, 18, 18, 1024],
    ]);
    expect(countTrainableParams(sfad.backbone)).toBe(0); // frozen
    expect(countTrainableParams(sfad.adaptor)).toBe(1536 * 1536 + 1536);
    expect(countTrainableParams(sfad.discriminator)).toBe(1536 * 1024 + 1024 + 2 * 1024 + 1024);
    disposeSfad(sfad);
  });
});

describe('sfadNoise', () => {
  it('is reproducible for every seed, 0 included (tfjs treats a 0 seed as unseeded)', () => {
    const before = tf.memory().numTensors;
    const [a, b, c] = tf.tidy(() => [0, 0, 1].map((seed) => Array.from(sfadNoise([64], 0.015, seed).dataSync())));
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
    const std = Math.sqrt(a!.reduce((s, v) => s + v * v, 0) / a!.length);
    expect(std).toBeGreaterThan(0.01);
    expect(std).toBeLessThan(0.02);
    expect(tf.memory().numTensors).toBe(before);
  });
});

describeEachBackend('SFAD tiny', (backend) => {
  const cfg = sfadPreset('tiny');
  let sfad: SfadModel;
  let images: tf.Tensor4D;

  afterAll(() => {
    disposeSfad(sfad);
    images.dispose();
  });

  it('extracts [N,8,8,64] patch features from 64 px images without leaks', () => {
    sfad = buildSfad(cfg, { seed: 1 });
    images = tf.randomUniform([2, 64, 64, 3], 0, 1, 'float32', 11) as tf.Tensor4D;
    const shape = expectNoLeak(() => tf.tidy(() => sfadFeatures(sfad.extractor, images, cfg).shape));
    expect(shape).toEqual([2, 8, 8, 64]);
  });

  it(`trains the adaptor and discriminator (not the backbone) and lowers the loss [${backend}]`, () => {
    expect(tf.getBackend()).toBe(backend);
    const features = sfadFeatures(sfad.extractor, images, cfg);
    const conv1Before = tf.tidy(() => sfad.backbone.getLayer('conv1').getWeights()[0]!.dataSync().slice());
    const adaptorBefore = tf.tidy(() => sfad.adaptor.getWeights()[0]!.dataSync().slice());
    const opts = { a: tf.train.adam(1e-3), d: tf.train.adam(2e-3) };
    trainStep(sfad, features, 0, opts); // optimiser slots are created on the first step
    const before = tf.memory().numTensors;
    const losses: number[] = [];
    for (let step = 1; step <= 6; step++) losses.push(...trainStep(sfad, features, step, opts));
    expect(tf.memory().numTensors).toBe(before);
    losses.forEach((l) => expect(Number.isFinite(l)).toBe(true));
    expect(losses[5]).toBeLessThan(losses[0]!);
    const conv1After = tf.tidy(() => sfad.backbone.getLayer('conv1').getWeights()[0]!.dataSync().slice());
    const adaptorAfter = tf.tidy(() => sfad.adaptor.getWeights()[0]!.dataSync().slice());
    expect(Array.from(conv1After)).toEqual(Array.from(conv1Before));
    expect(Array.from(adaptorAfter)).not.toEqual(Array.from(adaptorBefore));
    opts.a.dispose();
    opts.d.dispose();
    features.dispose();
  });

  it('scores locations with -D, maps them to [N,64,64] and survives a save/load round trip', async () => {
    const before = tf.memory().numTensors;
    const [mapShape, scores] = tf.tidy(() => {
      const map = sfadAnomalyMap(sfadPatchScores(sfad, sfadFeatures(sfad.extractor, images, cfg)), cfg.imageSize, cfg.smoothingSigma);
      return [map.shape, sfadImageScore(map).dataSync()];
    });
    expect(mapShape).toEqual([2, 64, 64]);
    expect(scores.length).toBe(2);
    const adaptor = await roundTrip(sfad.adaptor);
    const discriminator = await roundTrip(sfad.discriminator);
    const reloaded = tf.tidy(() => sfadPatchScores({ adaptor, discriminator }, sfadFeatures(sfad.extractor, images, cfg)).dataSync());
    const original = tf.tidy(() => sfadPatchScores(sfad, sfadFeatures(sfad.extractor, images, cfg)).dataSync());
    expect(Array.from(reloaded)).toEqual(Array.from(original));
    adaptor.dispose();
    discriminator.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});
