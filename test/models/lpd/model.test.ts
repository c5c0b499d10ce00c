import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import * as tf from '@tensorflow/tfjs';
import { countTrainableParams } from '../../../src/models/components/conv.js';
import { buildBackbone } from '../../../src/models/components/backbone.js';
import { lpdAnomalyMap } from '../../../src/pipeline/submodels/lpd/model/anomaly-map.js';
import { lpdPreset } from '../../../src/pipeline/submodels/lpd/model/config.js';
import { lpdGdeFit } from '../../../src/pipeline/submodels/lpd/model/gde.js';
import { buildLpd, disposeLpd, lpdEmbeddings, lpdImageScore, lpdTrainableVariables, lpdTrainingLoss, type LpdModel } from '../../../src/pipeline/submodels/lpd/model/model.js';
import { initRuntime } from '../../../src/pipeline/runtime/backend.js';
import { describeEachBackend } from '../../helpers/backends.js';
import { roundTrip } from '../../helpers/model-round-trip.js';
import { expectNoLeak } from '../../helpers/tensor-leaks.js';

describe('LPD paper preset (symbolic)', () => {
  beforeAll(async () => {
    await initRuntime({ backend: 'cpu' });
  });

  it('puts a 2048 -> 512 -> 128 -> 1 head on ResNet-50', () => {
    const cfg = lpdPreset('paper');
    const before = tf.memory().numTensors;
    const lpd = buildLpd(cfg, { seed: null, backbone: buildBackbone('resnet50', { seed: null, inputSize: cfg.imageSize }) });
    expect(lpd.model.outputs[0]!.shape).toEqual([null, 1]);
    expect(lpd.head.inputs[0]!.shape).toEqual([null, 2048]);
    expect(countTrainableParams(lpd.backbone)).toBe(23_508_032); // torchvision resnet50 without fc
    expect(countTrainableParams(lpd.head)).toBe(2048 * 512 + 512 + 2 * 512 + 512 * 128 + 128 + 2 * 128 + 128 + 1);
    expect(lpd.extractor.outputs.map((o) => o.shape)).toEqual([
      [null, 32, 32, 512],
      [null, 16, 16, 1024],
    ]);
    disposeLpd(lpd);
    expect(tf.memory().numTensors).toBe(before);
  });
});

describeEachBackend('LPD tiny', (backend) => {
  const cfg = lpdPreset('tiny');
  let lpd: LpdModel;
  let images: tf.Tensor4D;

  afterAll(() => {
    disposeLpd(lpd);
    images.dispose();
  });

  it('outputs one probability in (0, 1) per image', () => {
    lpd = buildLpd(cfg, { seed: 2 });
    images = tf.randomUniform([4, 64, 64, 3], 0, 1, 'float32', 5) as tf.Tensor4D;
    const [shape, p] = expectNoLeak(() =>
      tf.tidy(() => {
        const out = lpd.model.predict(images) as tf.Tensor;
        return [out.shape, lpdImageScore(lpd.model, images).dataSync()];
      }),
    );
    expect(shape).toEqual([4, 1]);
    expect(p.length).toBe(4);
    p.forEach((v) => {
      expect(v).toBeGreaterThan(0);
      expect(v).toBeLessThan(1);
    });
  });

  it(`trains backbone and head with BCE (SGD steps) [${backend}]`, () => {
    expect(tf.getBackend()).toBe(backend);
    // 32 px, batch 2: the cpu backend's conv filter gradient is ~1000x slower than wasm's
    const small = tf.image.resizeBilinear(images.slice([0, 0, 0, 0], [2, 64, 64, 3]), [32, 32]) as tf.Tensor4D;
    const labels = tf.tensor1d([0, 1]);
    const vars = lpdTrainableVariables(lpd);
    const conv1Before = tf.tidy(() => lpd.backbone.getLayer('conv1').getWeights()[0]!.dataSync().slice());
    const opt = tf.train.momentum(cfg.learningRate, cfg.momentum);
    const step = () => tf.tidy(() => opt.minimize(() => lpdTrainingLoss(lpd, small, labels).total, true, vars)!.dataSync()[0] as number);
    const first = step(); // creates the momentum slots
    const before = tf.memory().numTensors;
    const second = step();
    expect(tf.memory().numTensors).toBe(before);
    expect(Number.isFinite(first) && Number.isFinite(second)).toBe(true);
    const conv1After = tf.tidy(() => lpd.backbone.getLayer('conv1').getWeights()[0]!.dataSync().slice());
    expect(Array.from(conv1After)).not.toEqual(Array.from(conv1Before));
    opt.dispose();
    tf.dispose([labels, small]);
  });

  it('fits the GDE on embeddings and maps test images at image size', async () => {
    const before = tf.memory().numTensors;
    const embeddings = lpdEmbeddings(lpd.extractor, images, cfg);
    expect(embeddings.shape).toEqual([4, 16, 16, 32]); // layer1 (stride 4) is the finest GDE layer of tiny
    const gde = await lpdGdeFit([embeddings], { shrinkage: cfg.gdeShrinkage, epsilon: cfg.gdeEpsilon });
    const shape = tf.tidy(() => lpdAnomalyMap(gde, lpdEmbeddings(lpd.extractor, images, cfg), cfg.imageSize, cfg.smoothingSigma).shape);
    expect(shape).toEqual([4, 64, 64]);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('round-trips through save/load (seeded dropout and normalisation layers) with the same output', async () => {
    const loaded = await roundTrip(lpd.model);
    const [a, b] = tf.tidy(() => [lpdImageScore(lpd.model, images).dataSync(), lpdImageScore(loaded, images).dataSync()]);
    expect(Array.from(b!)).toEqual(Array.from(a!));
    loaded.dispose();
  });
});
