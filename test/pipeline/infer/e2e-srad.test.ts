// One chain through the real pieces: a tiny SRAD trained by train-srad, loaded by the detector registry,
// chosen by build-perfmap and run by infer (no injected loaders), then read by evaluate.
import * as tf from '@tensorflow/tfjs';
import { join } from 'node:path';
import { readNpy } from '../../../src/pipeline/io/npy.js';
import { buildPerfmap } from '../../../src/pipeline/services/build-perfmap.js';
import { evaluate } from '../../../src/pipeline/services/evaluate.js';
import { infer } from '../../../src/pipeline/services/infer.js';
import { trainSrad } from '../../../src/pipeline/services/train-srad.js';
import { makeTinyDataset } from '../../helpers/tiny-dataset.js';
import { readLines } from './infer-helpers.js';
import { useTempDir } from '../../helpers/temp-dir.js';

const rt = { backend: 'wasm' as const, threads: 1 };

describe('train-srad -> build-perfmap -> infer -> evaluate (real tiny SRAD)', () => {
  const tmp = useTempDir('madenet-e2e-srad-');

  it('routes every image to the trained SRAD and writes maps at its input size', async () => {
    const data = join(tmp.path, 'data');
    await makeTinyDataset(data, { categories: ['chip'], size: 32, normals: 6, testNormals: 2, defects: 2 });
    const art = join(tmp.path, 'artifacts');
    const trained = await trainSrad({ data, category: 'chip', out: art, preset: 'tiny', epochs: 1, batchSize: 2, lr: 1e-3, seed: 5, checkpointEvery: 0, ...rt });
    const map = await buildPerfmap({ data, models: [trained.artifact.dir], lambda: 0.5, seed: 5, out: art, ...rt });
    const entry = map.perfmap.categories.chip;
    expect(entry).toMatchObject({ chosen: 'srad', margin: null, validation: { source: 'synthetic' } });
    expect(entry?.candidates[0]?.imageSize).toBe(32);
    const before = tf.memory().numTensors;
    const out = join(tmp.path, 'predictions');
    // A one-category map needs neither classifier nor --category.
    const r = await infer({ perfmap: map.artifact.dir, input: join(data, 'chip', 'test', '*', '*.png'), out, saveMaps: true, ...rt });
    expect(tf.memory().numTensors).toBe(before);
    expect(r.routes['no-classifier']).toBe(4);
    const lines = await readLines(out);
    expect(lines).toHaveLength(4);
    for (const l of lines) {
      expect(l).toMatchObject({ model: 'srad', category: 'chip', artifact: { kind: 'srad', version: 1, dir: trained.artifact.dir } });
      expect((await readNpy(join(out, l.map as string))).shape).toEqual([32, 32]);
      // Scores are on the perfmap's scale: (raw - center) / spread of the validation normals' scores.
      const scale = entry?.candidates[0]?.scoreScale;
      expect(scale === null || (scale !== undefined && scale.spread > 0)).toBe(true);
      expect(Number.isFinite(l.score)).toBe(true);
      expect(l.label).toBe(l.score >= (l.threshold as number) ? 1 : 0);
    }
    const ev = await evaluate({ predictions: out, data, out: join(tmp.path, 'report') });
    expect(ev.metrics.counts.evaluated).toBe(4);

    // evaluate --model runs the same chain itself, with the trainer's seed for the validation hold-out.
    const direct = await evaluate({ model: trained.artifact.dir, data, out: join(tmp.path, 'eval-model'), ...rt });
    expect(direct.metrics.counts.evaluated).toBe(4);
    expect(direct.files.html).toBe(join(tmp.path, 'eval-model', 'evaluation', 'report.html'));
    const directLines = await readLines(join(tmp.path, 'eval-model', 'predictions'));
    expect(directLines.map((l) => l.score).sort()).toEqual(lines.map((l) => l.score).sort());
  });
});
