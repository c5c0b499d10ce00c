import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { buildBackbone } from '../../../../src/models/components/backbone.js';
import { HRNET_W18 } from '../../../../src/models/components/hrnet.js';
import { sradPreset } from '../../../../src/pipeline/submodels/srad/model/config.js';
import { buildSrad, disposeSrad } from '../../../../src/pipeline/submodels/srad/model/model.js';
import { modelArtifactsOf, writeArtifact } from '../../../../src/pipeline/artifacts/index.js';
import { initRuntime } from '../../../../src/pipeline/runtime/backend.js';
import { applySradBackbone, planSradBackbone } from '../../../../src/pipeline/submodels/srad/train/srad-backbone.js';

/** A backbone artifact as `weights import` writes it: kind backbone, config.arch, model "backbone". */
async function backboneArtifact(root: string, arch: string, model: tf.LayersModel) {
  return writeArtifact({ root, kind: 'backbone', category: arch, config: { arch }, seed: 0, models: { backbone: await modelArtifactsOf(model) } });
}

describe('SRAD --backbone', () => {
  let dir: string;
  beforeAll(async () => {
    await initRuntime({ backend: 'wasm', threads: 1 });
    dir = await mkdtemp(join(tmpdir(), 'madenet-srad-backbone-'));
  });
  afterAll(async () => rm(dir, { recursive: true, force: true }));

  it('random keeps the preset encoder and copies nothing', async () => {
    expect(await planSradBackbone('random')).toEqual({ spec: 'random', arch: null, encoder: null });
  });

  it('an hrnet_w18 artifact sets the encoder to W18 and starts it from the imported weights', async () => {
    const hrnet = buildBackbone('hrnet_w18', { seed: 5, inputSize: 32 });
    const ref = await backboneArtifact(dir, 'hrnet_w18', hrnet);
    const plan = await planSradBackbone(ref.dir);
    expect(plan.encoder).toEqual(HRNET_W18);
    const models = buildSrad(sradPreset('tiny', { encoder: plan.encoder!, imageSize: 32 }));
    const parent = await applySradBackbone(plan, models, 32);
    expect(parent).toMatchObject({ kind: 'backbone', category: 'hrnet_w18', version: 1 });
    const w = (m: tf.LayersModel, name: string) => Array.from(m.getLayer(name).getWeights()[0]!.dataSync());
    expect(w(models.reconstructive, 'enc.stage4.2.fuse_layers.0.3.0')).toEqual(w(hrnet, 'stage4.2.fuse_layers.0.3.0'));
    expect(w(models.reconstructive, 'enc.conv1')).toEqual(w(hrnet, 'conv1'));
    disposeSrad(models);
    hrnet.dispose();
  });

  it('refuses a backbone that is not an HRNet with E_WEIGHTS', async () => {
    const resnet = buildBackbone('resnet_tiny', { seed: 1 });
    const ref = await backboneArtifact(dir, 'resnet_tiny', resnet);
    await expect(planSradBackbone(ref.dir)).rejects.toMatchObject({ code: 'E_WEIGHTS', message: expect.stringContaining('hrnet_w18 or hrnet_w32') });
    resnet.dispose();
  });
});
