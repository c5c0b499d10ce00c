// The pre-classifier on a packaged npm network (its body up to the global layer, fine-tuned with a new head):
// the manifest records package, version, licence and layer, and the artifact loads for infer and for a fine-tune.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { loadClassifier } from '../../../src/pipeline/detectors/classifier.js';
import { buildParentClassifier, loadClassifierParent } from '../../../src/pipeline/finetune/classifier-parent.js';
import { trainClassifier } from '../../../src/pipeline/services/train-classifier.js';
import { findPackage } from '../../../src/pipeline/weights/npm-backbone.js';
import { makeTinyDataset } from '../../helpers/tiny-dataset.js';

const pkg = findPackage('nsfwjs');
const maybe = pkg ? describe : describe.skip;

maybe('train-classifier --backbone npm:nsfwjs/mobilenet_v2', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'madenet-packaged-classifier-'));
    await makeTinyDataset(join(dir, 'data'), { categories: ['alpha', 'beta'], size: 64, normals: 4, testNormals: 1, defects: 1 });
  });
  afterAll(async () => rm(dir, { recursive: true, force: true }));

  it('Given a packaged body, trains it with a new head, records its provenance, and the artifact loads for infer and fine-tuning', async () => {
    const r = await trainClassifier({
      data: join(dir, 'data'), out: join(dir, 'out'), preset: 'tiny', imageSize: 64, epochs: 1, batchSize: 4, lr: 1e-4, seed: 1,
      backend: 'wasm', threads: 1, checkpointEvery: 0, backbone: 'npm:nsfwjs/mobilenet_v2',
    });
    expect(r.backbone).toBe('npm:nsfwjs/mobilenet_v2');
    expect(r.backboneLayers).toBeNull();
    const manifest = JSON.parse(await readFile(join(r.artifact.dir, 'manifest.json'), 'utf8')) as { parents: unknown[]; config: { model: { network: string; networkLayer: string }; backboneSource: unknown } };
    expect(manifest.config.model).toMatchObject({ network: 'npm:nsfwjs/mobilenet_v2', networkLayer: 'out_relu' });
    expect(manifest.config.backboneSource).toEqual({ kind: 'npm', id: 'npm:nsfwjs/mobilenet_v2', package: 'nsfwjs', version: pkg?.version, license: pkg?.license, net: 'mobilenet_v2' });
    expect(manifest.parents).toEqual([]);

    const classifier = await loadClassifier(r.artifact.dir);
    const x = tf.randomUniform([2, 64, 64, 3], 0, 1, 'float32', 3) as tf.Tensor4D;
    const probs = classifier.predict(x);
    expect(probs.shape).toEqual([2, 2]);
    const sums = (await probs.sum(1).data()) as Float32Array;
    sums.forEach((s) => expect(s).toBeCloseTo(1, 4));

    // The fine-tune's network is the saved one, trainable, giving the same probabilities.
    const parent = await loadClassifierParent(r.artifact.dir);
    const again = await buildParentClassifier(parent);
    expect(again.trainableWeights.length).toBeGreaterThan(2);
    const p2 = again.predict(x) as tf.Tensor2D;
    expect(Array.from(await p2.data())).toEqual(Array.from(await probs.data()));
    tf.dispose([x, probs, p2]);
    again.dispose();
    classifier.dispose();
  });
});
