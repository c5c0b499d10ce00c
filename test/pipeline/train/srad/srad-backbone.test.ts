import * as tf from '@tensorflow/tfjs';
import { buildBackbone } from '../../../../src/models/components/backbone.js';
import { HRNET_W18 } from '../../../../src/models/components/hrnet.js';
import { sradPreset } from '../../../../src/pipeline/submodels/srad/model/config.js';
import { buildSrad, disposeSrad } from '../../../../src/pipeline/submodels/srad/model/model.js';
import { applySradBackbone, planSradBackbone } from '../../../../src/pipeline/submodels/srad/train/srad-backbone.js';
import { useTempDir } from '../../../helpers/temp-dir.js';
import { useBackend } from '../../../helpers/backends.js';
import { writeBackboneArtifact, writeResnetTinyArtifact } from '../../../helpers/backbone-artifact.js';
import { kernelOf } from '../../../helpers/layer-weights.js';

describe('SRAD --backbone', () => {
  useBackend('wasm');
  const tmp = useTempDir('madenet-srad-backbone-');

  it('random keeps the preset encoder and copies nothing', async () => {
    expect(await planSradBackbone('random')).toEqual({ spec: 'random', arch: null, encoder: null });
  });

  it('an hrnet_w18 artifact sets the encoder to W18 and starts it from the imported weights', async () => {
    const hrnet = buildBackbone('hrnet_w18', { seed: 5, inputSize: 32 });
    const ref = await writeBackboneArtifact(tmp.path, 'hrnet_w18', hrnet);
    const plan = await planSradBackbone(ref.dir);
    expect(plan.encoder).toEqual(HRNET_W18);
    const models = buildSrad(sradPreset('tiny', { encoder: plan.encoder!, imageSize: 32 }));
    const parent = await applySradBackbone(plan, models, 32);
    expect(parent).toMatchObject({ kind: 'backbone', category: 'hrnet_w18', version: 1 });
    expect(kernelOf(models.reconstructive, 'enc.stage4.2.fuse_layers.0.3.0')).toEqual(kernelOf(hrnet, 'stage4.2.fuse_layers.0.3.0'));
    expect(kernelOf(models.reconstructive, 'enc.conv1')).toEqual(kernelOf(hrnet, 'conv1'));
    disposeSrad(models);
    hrnet.dispose();
  });

  it('refuses a backbone that is not an HRNet with E_WEIGHTS', async () => {
    const ref = await writeResnetTinyArtifact(tmp.path);
    await expect(planSradBackbone(ref.dir)).rejects.toMatchObject({ code: 'E_WEIGHTS', message: expect.stringContaining('hrnet_w18 or hrnet_w32') });
  });
});
