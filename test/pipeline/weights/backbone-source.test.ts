import { afterEach, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import * as tf from '@tensorflow/tfjs';
import { join } from 'node:path';
import { aggregateFeatures } from '../../../src/models/components/feature-extractor-aggregation.js';
import { buildFeatureExtractor, extractFeatures } from '../../../src/models/components/feature-extractor.js';
import { buildResNet } from '../../../src/models/components/resnet.js';
import { lpdPreset } from '../../../src/pipeline/submodels/lpd/model/config.js';
import { buildLpd, disposeLpd, lpdTrainableVariables, lpdTrainingLoss } from '../../../src/pipeline/submodels/lpd/model/model.js';
import { sfadPreset } from '../../../src/pipeline/submodels/sfad/model/config.js';
import { buildSfad, disposeSfad, sfadFeatures } from '../../../src/pipeline/submodels/sfad/model/model.js';
import { modelArtifactsOf, writeArtifact } from '../../../src/pipeline/artifacts/index.js';
import { MadenetError } from '../../../src/pipeline/core/errors.js';
import { initRuntime } from '../../../src/pipeline/runtime/backend.js';
import { loadBackbone } from '../../../src/pipeline/weights/backbone-source.js';
import { useTempDir } from '../../helpers/temp-dir.js';

describe('loadBackbone (--backbone)', () => {
  const tmp = useTempDir('madenet-backbone-', 'test');
  beforeAll(async () => {
    // wasm: the cpu backend's conv filter gradient makes the LPD training steps below take a minute
    await initRuntime({ backend: 'wasm', threads: 1 });
  });

  it('builds a seeded random backbone for "random"', async () => {
    const { backbone, arch, origin } = await loadBackbone('random', { arch: 'resnet_tiny', seed: 3 });
    const reference = buildResNet('resnet_tiny', { seed: 3 });
    expect(arch).toBe('resnet_tiny');
    expect(origin).toEqual({ kind: 'random', seed: 3 });
    const w = (m: tf.LayersModel) => tf.tidy(() => Array.from(m.getLayer('layer3.0.conv2').getWeights()[0]!.dataSync()));
    expect(w(backbone)).toEqual(w(reference));
    backbone.dispose();
    reference.dispose();
  });

  it("gives SFAD's extractor exactly the features of a trained LPD backbone, and names the LPD artifact", async () => {
    // Given: a tiny LPD trained for two steps (weights and BN running stats moved away from the init)
    const lpdCfg = lpdPreset('tiny');
    const lpd = buildLpd(lpdCfg, { seed: 5 });
    const images = tf.randomUniform([4, 64, 64, 3], 0, 1, 'float32', 9) as tf.Tensor4D;
    const labels = tf.tensor1d([0, 1, 0, 1]);
    const opt = tf.train.momentum(0.05, 0.9);
    for (let i = 0; i < 2; i++) tf.tidy(() => void opt.minimize(() => lpdTrainingLoss(lpd, images, labels).total, false, lpdTrainableVariables(lpd)));
    const ref = await writeArtifact({ root: tmp.path, kind: 'lpd', category: 'cap', config: lpdCfg, seed: 5, models: { model: await modelArtifactsOf(lpd.model) } });
    // When: SFAD takes it as --backbone
    const sfadCfg = sfadPreset('tiny');
    const source = await loadBackbone(ref.dir, { arch: 'resnet18', seed: 0 });
    const sfad = buildSfad(sfadCfg, { seed: 1, backbone: source.backbone });
    // Then: the artifact's own arch wins, the lineage is the LPD artifact, and features are identical
    expect(source.arch).toBe('resnet_tiny');
    expect(source.origin).toEqual({ kind: 'lpd', ref: { kind: 'lpd', category: 'cap', version: 1, dir: ref.dir } });
    const before = tf.memory().numTensors;
    const [ours, expected] = tf.tidy(() => {
      const lpdExtractor = buildFeatureExtractor(lpd.backbone, sfadCfg.layers, { freeze: false });
      const direct = aggregateFeatures(extractFeatures(lpdExtractor, images), { featureDim: sfadCfg.featureDim, patchSize: sfadCfg.patchSize });
      return [sfadFeatures(sfad.extractor, images, sfadCfg).dataSync(), direct.dataSync()];
    });
    expect(ours!.length).toBe(4 * 8 * 8 * 64);
    expect(Array.from(ours!)).toEqual(Array.from(expected!));
    expect(tf.memory().numTensors).toBe(before);
    // and the fresh random backbone of the same seed would have given different features
    const random = buildSfad(sfadCfg, { seed: 5 });
    const differs = tf.tidy(() => sfadFeatures(random.extractor, images, sfadCfg).sub(tf.tensor(ours!, [4, 8, 8, 64])).abs().max().dataSync()[0]!);
    expect(differs).toBeGreaterThan(1e-3);
    [images, labels].forEach((t) => t.dispose());
    opt.dispose();
    disposeSfad(random);
    disposeSfad(sfad);
    disposeLpd(lpd);
  });

  it('refuses artifacts of other kinds and paths that are not artifacts', async () => {
    const ref = await writeArtifact({ root: tmp.path, kind: 'srad', category: 'cap', config: {}, seed: 1 });
    await expect(loadBackbone(ref.dir, { arch: 'resnet18', seed: 0 })).rejects.toThrow(/srad artifact; expected a backbone artifact/);
    await expect(loadBackbone(join(tmp.path, 'nothing-here'), { arch: 'resnet18', seed: 0 })).rejects.toBeInstanceOf(MadenetError);
    const noArch = await writeArtifact({ root: tmp.path, kind: 'backbone', category: 'x', config: {}, seed: 1 });
    await expect(loadBackbone(noArch.dir, { arch: 'resnet18', seed: 0 })).rejects.toThrow(/does not name its backbone architecture/);
  });

  it('refuses a packaged network by name (LPD trains a ResNet; a MobileNetV2 cannot seed it) with E_CONFIG', async () => {
    await expect(loadBackbone('npm:nsfwjs/mobilenet_v2', { arch: 'resnet18', seed: 0 })).rejects.toMatchObject({ code: 'E_CONFIG', message: expect.stringContaining('npm:nsfwjs/mobilenet_v2 is a packaged network') });
  });
});
