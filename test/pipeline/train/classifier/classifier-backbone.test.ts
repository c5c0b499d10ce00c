import * as tf from '@tensorflow/tfjs';
import { buildBackbone } from '../../../../src/models/components/backbone.js';
import { classifierPreset } from '../../../../src/models/classifier/config.js';
import { buildClassifier } from '../../../../src/models/classifier/model.js';
import { applyClassifierBackbone, planClassifierBackbone } from '../../../../src/pipeline/train/classifier/classifier-backbone.js';
import { useTempDir } from '../../../helpers/temp-dir.js';
import { useBackend } from '../../../helpers/backends.js';
import { writeBackboneArtifact, writeResnetTinyArtifact } from '../../../helpers/backbone-artifact.js';
import { kernelOf } from '../../../helpers/layer-weights.js';

describe('classifier --backbone', () => {
  useBackend('wasm');
  const tmp = useTempDir('madenet-classifier-backbone-');

  it('an efficientnet_b0 artifact fixes the variant and fills every layer but the head', async () => {
    const b0 = buildBackbone('efficientnet_b0', { seed: 3, inputSize: 32 });
    const ref = await writeBackboneArtifact(tmp.path, 'efficientnet_b0', b0);
    const plan = await planClassifierBackbone(ref.dir);
    expect(plan.variant).toBe('b0');
    const cfg = classifierPreset('tiny', { variant: 'b0', imageSize: 32 });
    const model = buildClassifier(cfg, 3);
    const { parent, report } = await applyClassifierBackbone(plan, model, 32);
    expect(parent).toMatchObject({ kind: 'backbone', category: 'efficientnet_b0' });
    expect(report?.missing).toEqual(['classifier']);
    expect(kernelOf(model, 'blocks.3.1.conv_dw')).toEqual(kernelOf(b0, 'blocks.3.1.conv_dw'));
    model.dispose();
    b0.dispose();
  });

  it('refuses a ResNet backbone with E_WEIGHTS', async () => {
    const ref = await writeResnetTinyArtifact(tmp.path);
    await expect(planClassifierBackbone(ref.dir)).rejects.toMatchObject({ code: 'E_WEIGHTS', message: expect.stringContaining('efficientnet_b0') });
  });
});
