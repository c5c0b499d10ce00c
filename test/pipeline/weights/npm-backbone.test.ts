import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import * as tf from '@tensorflow/tfjs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { listBackbones } from '../../../src/pipeline/weights/backbone-registry.js';
import { findPackage, loadNpmFeatureExtractor, loadNpmFeatureExtractorFrom, type NpmNetInfo } from '../../../src/pipeline/weights/npm-backbone.js';
import { describeEachBackend } from '../../helpers/backends.js';
import { useTempDir } from '../../helpers/temp-dir.js';
import { saveToMemory } from '../../helpers/model-round-trip.js';

/** A Keras-style layers model with a Flatten + Dense head that fits its native 16 px input only (as nsfwjs's do). */
function tinyNet(): tf.LayersModel {
  const input = tf.input({ shape: [16, 16, 3], name: 'input_1' });
  const a = tf.layers.conv2d({ filters: 4, kernelSize: 3, strides: 2, padding: 'same', activation: 'relu', name: 'block_a', kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }) }).apply(input) as tf.SymbolicTensor;
  const b = tf.layers.conv2d({ filters: 6, kernelSize: 3, strides: 2, padding: 'same', activation: 'relu', name: 'block_b', kernelInitializer: tf.initializers.glorotUniform({ seed: 2 }) }).apply(a) as tf.SymbolicTensor;
  const flat = tf.layers.flatten({ name: 'flatten_1' }).apply(b) as tf.SymbolicTensor;
  const out = tf.layers.dense({ units: 5, name: 'dense_1' }).apply(flat) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: out });
}

/** Writes the net as nsfwjs bundles it: model.min.js exporting the Keras JSON, a shard exporting base64. */
async function writeFakePackage(root: string, net: tf.LayersModel): Promise<NpmNetInfo> {
  const saved = await saveToMemory(net);
  const folder = join(root, 'dist', 'models', 'tiny');
  await mkdir(folder, { recursive: true });
  await writeFile(join(root, 'package.json'), JSON.stringify({ name: 'fake-net-pkg', version: '1.2.3', license: 'MIT' }));
  await writeFile(join(root, 'dist', 'models', 'package.json'), JSON.stringify({ type: 'commonjs' }));
  const json = { modelTopology: { keras_version: '2.2.4', backend: 'tensorflow', model_config: saved.modelTopology }, weightsManifest: [{ paths: ['group1-shard1of1'], weights: saved.weightSpecs }] };
  await writeFile(join(folder, 'model.min.js'), `module.exports = ${JSON.stringify(json)};\n`);
  const weights = Buffer.from(saved.weightData as ArrayBuffer).toString('base64');
  await writeFile(join(folder, 'group1-shard1of1.min.js'), `module.exports = ${JSON.stringify(weights)};\n`);
  return {
    pkg: { name: 'fake-net-pkg', version: '1.2.3', license: 'MIT', dir: root },
    spec: {
      id: 'npm:fake-net-pkg/tiny',
      package: 'fake-net-pkg',
      net: 'tiny',
      dir: 'dist/models/tiny',
      shards: 1,
      nativeSize: 16,
      input: '[0,1]',
      layers: [{ name: 'block_a', stride: 2, channels: 4 }, { name: 'block_b', stride: 4, channels: 6 }],
      defaultLayers: ['block_a', 'block_b'],
      globalLayer: 'block_b',
      about: 'test net',
    },
  };
}

describeEachBackend('packaged npm networks', () => {
  const tmp = useTempDir('madenet-npm-net-');

  it('Given a package folder, loads the net offline as a frozen multi-layer extractor at another input size, same weights', async () => {
    const net = tinyNet();
    const info = await writeFakePackage(join(tmp.path, `pkg-${tf.getBackend()}`), net);
    const before = tf.memory().numTensors;
    const { model } = await loadNpmFeatureExtractorFrom(info, ['block_a', 'block_b'], 32);
    const x = tf.randomUniform([2, 32, 32, 3], 0, 1, 'float32', 3) as tf.Tensor4D;
    const [a, b] = model.predict(x) as tf.Tensor4D[];
    expect(a?.shape).toEqual([2, 16, 16, 4]);
    expect(b?.shape).toEqual([2, 8, 8, 6]);
    expect(model.trainable).toBe(false);
    // The same convolutions as the original network's (its head would not accept 32 px; compare on block_a).
    const ref = tf.tidy(() => {
      const k = net.getLayer('block_a').getWeights();
      return tf.relu(tf.conv2d(x, k[0] as tf.Tensor4D, 2, 'same').add(k[1] as tf.Tensor1D));
    });
    expect(tf.tidy(() => tf.max(tf.abs(ref.sub(a as tf.Tensor))).dataSync()[0])).toBeLessThan(1e-5);
    tf.dispose([x, a as tf.Tensor, b as tf.Tensor, ref]);
    model.dispose();
    expect(tf.memory().numTensors).toBe(before);
    await expect(loadNpmFeatureExtractorFrom(info, ['block_z'], 32)).rejects.toMatchObject({ code: 'E_CONFIG', message: expect.stringContaining('block_a, block_b') });
    net.dispose();
  });

  const installed = findPackage('nsfwjs') !== null;
  (installed ? it : it.skip)('loads the real nsfwjs MobileNetV2 from node_modules and gives the documented strides', async () => {
    const { model, info } = await loadNpmFeatureExtractor('npm:nsfwjs/mobilenet_v2', ['block_5_add', 'block_12_add', 'out_relu'], 64);
    const maps = model.predict(tf.zeros([1, 64, 64, 3])) as tf.Tensor[];
    expect(maps.map((m) => m.shape)).toEqual([[1, 8, 8, 32], [1, 4, 4, 96], [1, 2, 2, 1280]]);
    expect(info.pkg).toMatchObject({ name: 'nsfwjs', license: 'MIT' });
    tf.dispose(maps);
    model.dispose();
  }, 120_000);
});

describe('weights list', () => {
  it('lists the packaged networks with package, version and licence, and random', () => {
    const list = listBackbones();
    expect(list.map((b) => b.id)).toEqual(['npm:nsfwjs/mobilenet_v2', 'npm:nsfwjs/inception_v3', 'random']);
    const mobilenet = list[0];
    expect(mobilenet?.defaultLayers).toEqual(['block_5_add', 'block_12_add']);
    if (mobilenet?.available) expect(mobilenet).toMatchObject({ license: 'MIT', version: expect.stringMatching(/^4\./) });
    else expect(mobilenet?.note).toContain('npm install nsfwjs');
  });
  it('refuses an unknown packaged network with E_NOT_FOUND listing the known ones', async () => {
    await expect(loadNpmFeatureExtractor('npm:nsfwjs/resnet', ['x'], 64)).rejects.toMatchObject({ code: 'E_NOT_FOUND', message: expect.stringContaining('npm:nsfwjs/mobilenet_v2') });
  });
});
