import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { layersModelFrom, loadArtifact, modelArtifactsOf, writeArtifact } from '../../../src/pipeline/artifacts/index.js';
import { useTempDir } from '../../helpers/temp-dir.js';

function tinyModel(seed: number): tf.LayersModel {
  const model = tf.sequential();
  model.add(tf.layers.dense({ inputShape: [3], units: 4, activation: 'relu', kernelInitializer: tf.initializers.glorotUniform({ seed }) }));
  model.add(tf.layers.dense({ units: 2, kernelInitializer: tf.initializers.glorotUniform({ seed: seed + 1 }) }));
  return model;
}

describe('tfjs models in artifacts', () => {
  const tmp = useTempDir('madenet-tfjs-');
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });

  it('saves model.json + weights.bin (and <name>/...) and loads back identical predictions, without leaks', async () => {
    const before = tf.memory().numTensors;
    const main = tinyModel(1);
    const head = tinyModel(5);
    const ref = await writeArtifact({
      root: tmp.path,
      kind: 'ism',
      category: 'c',
      config: {},
      seed: 1,
      models: { model: await modelArtifactsOf(main), head: await modelArtifactsOf(head) },
    });
    const modelJson = JSON.parse(await readFile(join(ref.dir, 'model.json'), 'utf8'));
    expect(modelJson.weightsManifest[0].paths).toEqual(['weights.bin']);
    expect((await readFile(join(ref.dir, 'weights.bin'))).length).toBe((3 * 4 + 4 + 4 * 2 + 2) * 4);
    expect(JSON.parse(await readFile(join(ref.dir, 'head', 'model.json'), 'utf8')).weightsManifest[0].paths).toEqual(['weights.bin']);

    const loaded = await loadArtifact(join(tmp.path, 'ism', 'c'));
    expect(loaded.manifest.models).toEqual(['head', 'model']);
    const main2 = await layersModelFrom(await loaded.modelArtifacts());
    const head2 = await layersModelFrom(await loaded.modelArtifacts('head'));
    const x = tf.tensor2d([[0.1, -0.2, 0.3], [1, 2, -1]]);
    const pairs: [tf.LayersModel, tf.LayersModel][] = [[main, main2], [head, head2]];
    for (const [a, b] of pairs) {
      const ya = a.predict(x) as tf.Tensor;
      const yb = b.predict(x) as tf.Tensor;
      expect(Array.from(await yb.data())).toEqual(Array.from(await ya.data()));
      tf.dispose([ya, yb]);
    }
    // The two models differ, so the names really map to different files.
    const ym = main2.predict(x) as tf.Tensor;
    const yh = head2.predict(x) as tf.Tensor;
    expect(Array.from(await ym.data())).not.toEqual(Array.from(await yh.data()));
    tf.dispose([x, ym, yh]);
    for (const m of [main, head, main2, head2]) m.dispose();
    expect(tf.memory().numTensors).toBe(before);
    await expect(loaded.modelArtifacts('nope')).rejects.toMatchObject({ code: 'E_ARTIFACT' });
  });

  it('refuses weights changed on disk', async () => {
    const model = tinyModel(9);
    const ref = await writeArtifact({ root: tmp.path, kind: 'ism', category: 'd', config: {}, seed: 1, models: { model: await modelArtifactsOf(model) } });
    model.dispose();
    const w = await readFile(join(ref.dir, 'weights.bin'));
    w[0] = (w[0] as number) ^ 0xff;
    await writeFile(join(ref.dir, 'weights.bin'), w);
    await expect(loadArtifact(ref.dir)).rejects.toMatchObject({ code: 'E_CHECKSUM', message: expect.stringContaining('weights.bin') });
  });
});
