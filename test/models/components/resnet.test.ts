import { beforeAll, describe, expect, it } from '@jest/globals';
import * as tf from '@tensorflow/tfjs';
import { countTrainableParams } from '../../../src/models/components/conv.js';
import { buildFeatureExtractor, extractFeatures, resolveFeatureLayer } from '../../../src/models/components/feature-extractor.js';
import { buildResNet, resnetStageChannels, resnetStageLayer } from '../../../src/models/components/resnet.js';
import { MadenetError } from '../../../src/pipeline/core/errors.js';
import { roundTrip } from '../../helpers/model-round-trip.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

// Paper-size nets are built with zero placeholders (seed null): drawing 69M seeded normals takes ~50 s under jest.
describe('buildResNet (symbolic, paper sizes)', () => {
  it('has torchvision parameter counts: resnet18 11,689,512 and wide_resnet50_2 68,883,240 with fc', () => {
    const r18 = buildResNet('resnet18', { includeTop: true, seed: null });
    expect(countTrainableParams(r18)).toBe(11_689_512);
    expect(r18.countParams()).toBe(11_689_512 + 2 * 4800); // + BN running mean/var
    r18.dispose();
    const wide = buildResNet('wide_resnet50_2', { includeTop: true, inputSize: 224, seed: null });
    expect(countTrainableParams(wide)).toBe(68_883_240);
    expect(wide.outputs[0]!.shape).toEqual([null, 1000]);
    wide.dispose();
  });

  it('ends each stage at the documented stride and width (resnet50 at 224 px)', () => {
    const r50 = buildResNet('resnet50', { inputSize: 224, seed: null });
    const shapes = (['layer1', 'layer2', 'layer3', 'layer4'] as const).map((s) => r50.getLayer(resnetStageLayer('resnet50', s)).outputShape);
    expect(shapes).toEqual([
      [null, 56, 56, 256],
      [null, 28, 28, 512],
      [null, 14, 14, 1024],
      [null, 7, 7, 2048],
    ]);
    expect(resnetStageChannels('wide_resnet50_2')).toEqual({ layer1: 256, layer2: 512, layer3: 1024, layer4: 2048 });
    r50.dispose();
  });

  it('names every weighted layer after its torchvision parameter path', () => {
    const r18 = buildResNet('resnet18', { includeTop: true, seed: null });
    const names = new Set(r18.weights.map((w) => w.originalName));
    for (const n of ['conv1/kernel', 'bn1/gamma', 'layer1.1.conv2/kernel', 'layer2.0.downsample.0/kernel', 'layer2.0.downsample.1/moving_variance', 'layer4.1.bn2/beta', 'fc/kernel', 'fc/bias']) {
      expect(names).toContain(n);
    }
    expect([...names].some((n) => n.startsWith('layer1.0.downsample'))).toBe(false);
    r18.dispose();
  });
});

describe('buildResNet (tiny, numeric)', () => {
  it('builds zero placeholders for seed null', () => {
    const m = buildResNet('resnet_tiny', { seed: null });
    expect(tf.tidy(() => m.getLayer('conv1').getWeights()[0]!.abs().max().dataSync()[0])).toBe(0);
    m.dispose();
  });

  it('is deterministic in the seed and differs across seeds', () => {
    const a = buildResNet('resnet_tiny', { seed: 3 });
    const b = buildResNet('resnet_tiny', { seed: 3 });
    const c = buildResNet('resnet_tiny', { seed: 4 });
    const w = (m: tf.LayersModel) => m.getLayer('layer2.0.conv1').getWeights()[0]!.dataSync();
    expect(Array.from(w(a))).toEqual(Array.from(w(b)));
    expect(Array.from(w(a))).not.toEqual(Array.from(w(c)));
    [a, b, c].forEach((m) => m.dispose());
  });

  it('round-trips through save/load (incl. the normalisation layer) with identical outputs', async () => {
    const model = buildResNet('resnet_tiny', { seed: 1 });
    const loaded = await roundTrip(model);
    expect(loaded.getLayer('normalize').getClassName()).toBe('MadenetImagenetNormalization');
    const before = tf.memory().numTensors;
    const [y1, y2] = tf.tidy(() => {
      const x = tf.randomUniform([2, 32, 32, 3], 0, 1, 'float32', 7);
      return [(model.predict(x) as tf.Tensor).dataSync(), (loaded.predict(x) as tf.Tensor).dataSync()];
    });
    expect(Array.from(y2!)).toEqual(Array.from(y1!));
    expect(tf.memory().numTensors).toBe(before);
    model.dispose();
    loaded.dispose();
  });

  it('normalises [0,1] input with ImageNet statistics inside the model', () => {
    const model = buildResNet('resnet_tiny');
    const normalize = model.getLayer('normalize');
    const out = tf.tidy(() => (normalize.apply(tf.tensor4d([0.485, 0.456, 0.406, 1, 1, 1], [1, 1, 2, 3])) as tf.Tensor).dataSync());
    expect(Array.from(out.slice(0, 3)).map((v) => Math.round(v * 1e6) / 1e6)).toEqual([0, 0, 0]);
    expect(out[3]).toBeCloseTo((1 - 0.485) / 0.229, 5);
    expect(out[5]).toBeCloseTo((1 - 0.406) / 0.225, 5);
    model.dispose();
  });
});

describe('buildFeatureExtractor', () => {
  it('returns the chosen stages in order, frozen, at strides 8 and 16 for layer2 + layer3', () => {
    const backbone = buildResNet('resnet_tiny');
    const extractor = buildFeatureExtractor(backbone);
    expect(extractor.trainableWeights.length).toBe(0);
    expect(backbone.trainableWeights.length).toBe(0); // the layers are shared, so the backbone is frozen too
    const before = tf.memory().numTensors;
    const shapes = tf.tidy(() => extractFeatures(extractor, tf.zeros([2, 64, 64, 3])).map((t) => t.shape));
    expect(shapes).toEqual([
      [2, 8, 8, 32],
      [2, 4, 4, 64],
    ]);
    expect(tf.memory().numTensors).toBe(before);
    backbone.dispose();
  });

  it('can leave the backbone trainable and rejects unknown layers with E_CONFIG', () => {
    const backbone = buildResNet('resnet_tiny');
    buildFeatureExtractor(backbone, ['layer3'], { freeze: false });
    expect(backbone.trainableWeights.length).toBeGreaterThan(0);
    expect(resolveFeatureLayer(backbone, 'layer1').name).toBe('layer1.0.relu');
    expect(() => buildFeatureExtractor(backbone, ['layer9'])).toThrow(MadenetError);
    expect(() => buildFeatureExtractor(backbone, ['layer9'])).toThrow(/layer9.*expected a stage/);
    backbone.dispose();
  });
});
