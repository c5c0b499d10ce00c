import * as tf from '@tensorflow/tfjs';
import type { Detector } from '../../../src/pipeline/detectors/detector.js';
import { loadDataset } from '../../../src/pipeline/io/dataset.js';
import { evaluateCandidates } from '../../../src/pipeline/perfmap/evaluate-candidates.js';
import { planValidation } from '../../../src/pipeline/perfmap/validation-set.js';
import { TextureBank } from '../../../src/pipeline/synth/texture-bank.js';
import { useBackend } from '../../helpers/backends.js';
import { useTempDir } from '../../helpers/temp-dir.js';
import { makeTinyDataset } from '../../helpers/tiny-dataset.js';

// A detector whose map is each pixel's brightness: defects (bright blobs) score above normals.
function brightness(size: number, calls: { images: number }): Detector {
  return {
    kind: 'srad',
    category: 'widget',
    imageSize: size,
    artifactDir: null,
    predict: (images) =>
      tf.tidy(() => {
        calls.images += images.shape[0];
        const maps = images.mean(-1) as tf.Tensor3D;
        return { scores: maps.max([1, 2]) as tf.Tensor1D, maps };
      }),
    dispose: () => undefined,
  };
}

describe('evaluateCandidates keeps pass 1 defect maps for pass 2', () => {
  useBackend('cpu');
  const tmp = useTempDir('madenet-evalcand-');

  it.each([['train defects', 6], ['synthetic defects', 0]])('%s: the same figures as scoring the defects twice, each defect scored once', async (_, trainDefects) => {
    const data = await makeTinyDataset(tmp.next('data'), { size: 32, normals: 12, trainDefects, seed: 3 });
    const dataset = await loadDataset(data.root);
    const plan = planValidation(dataset, 'widget', { valFraction: 0.5, seed: 1 });
    const defects = plan.defects.length + plan.synthetic.length;
    expect(defects).toBeGreaterThan(0);
    const textures = await TextureBank.forRun(undefined, 32, 1);
    const once = { images: 0 };
    const twice = { images: 0 };
    const opts = { size: 32, batchSize: 4, targetFpr: 0.05, textures };
    const kept = await evaluateCandidates(plan, [brightness(32, once)], opts);
    const rescored = await evaluateCandidates(plan, [brightness(32, twice)], { ...opts, keepDefectMapBytes: 0 });
    expect(kept).toEqual(rescored);
    expect(twice.images - once.images).toBe(defects);
    expect(once.images).toBe(plan.normals.length + defects);
  });
});
