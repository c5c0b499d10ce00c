// Resuming must continue the same work or refuse: infer --resume with another setting is E_RESUME naming the
// flag (nothing written); --resume of a finished training writes no new version; the advice of E_DIVERGED and
// E_DECODE names a run that works; a resumed infer leaves no orphan *.tmp behind.
import * as tf from '@tensorflow/tfjs';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { decodeImage } from '../../src/pipeline/io/decode.js';
import { initRuntime } from '../../src/pipeline/runtime/backend.js';
import { trainClassifier } from '../../src/pipeline/services/train-classifier.js';
import { TrainingRun } from '../../src/pipeline/train/train-run.js';
import { failure } from '../helpers/training-run.js';
import { makeTinyDataset } from '../helpers/tiny-dataset.js';
import { readLines, runInfer, useInferWorld } from '../pipeline/infer/infer-helpers.js';
import { useTempDir } from '../helpers/temp-dir.js';

describe('resume and advice (items 2, 14, 15)', () => {
  const tmp = useTempDir('madenet-hostile-resume-');
  const w = useInferWorld(tmp, 'world');

  it('item 2: infer --resume with another --category, --min-confidence or --save-maps is refused and changes nothing', async () => {
    const out = join(tmp.path, 'infer-2');
    await runInfer({ perfmap: w.sure, input: w.glob, out });
    const predictions = await readFile(join(out, 'predictions.jsonl'));
    const record = await readFile(join(out, 'infer.json'));
    for (const [change, flag] of [
      [{ category: 'alpha' }, '--category'],
      [{ minConfidence: 0.5 }, '--min-confidence'],
      [{ saveMaps: true }, '--save-maps'],
    ] as const) {
      const err = await failure(runInfer({ perfmap: w.sure, input: w.glob, out, resume: true, ...change }));
      expect(err.code).toBe('E_RESUME');
      expect(err.message).toContain(flag);
      expect(await readFile(join(out, 'predictions.jsonl'))).toEqual(predictions);
      expect(await readFile(join(out, 'infer.json'))).toEqual(record);
    }
    // The same settings (batch size is free: it changes no line) resume fine.
    const again = await runInfer({ perfmap: w.sure, input: w.glob, out, resume: true, batchSize: 5 });
    expect(again.images.predicted).toBe(0);
  });

  it('item 15: a resumed infer removes the *.tmp files a killed run left in maps/', async () => {
    const out = join(tmp.path, 'infer-15');
    await runInfer({ perfmap: w.sure, input: w.glob, out, saveMaps: true });
    const text = await readFile(join(out, 'predictions.jsonl'), 'utf8');
    await writeFile(join(out, 'predictions.jsonl'), `${text.split('\n').slice(0, 3).join('\n')}\n`);
    // What kill -9 during a map write leaves: a temp beside the maps (pid of a process long gone).
    await writeFile(join(out, 'maps', 'x-0123456789ab.npy.99999999.tmp'), 'partial');
    await mkdir(join(out, 'overlays'), { recursive: true });
    await writeFile(join(out, 'overlays', 'y.png.99999999-abcd.tmp'), 'partial');
    await runInfer({ perfmap: w.sure, input: w.glob, out, saveMaps: true, resume: true });
    // maps/ mirrors the input tree (maps/<category>/...): look through every level for a leftover temp.
    expect((await readdir(join(out, 'maps'), { recursive: true })).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    expect(await readdir(join(out, 'overlays'))).toEqual([]);
    expect(await readLines(out)).toHaveLength(w.images);
  });

  it('item 15: --resume of a finished training writes no new version (LATEST stays, nothing added)', async () => {
    const data = join(tmp.path, 'tiny');
    await makeTinyDataset(data, { categories: ['alpha', 'beta'], size: 32, normals: 3, testNormals: 1, defects: 1 });
    const opts = { data, out: join(tmp.path, 'root'), preset: 'tiny' as const, epochs: 1, batchSize: 2, lr: 1e-2, seed: 5, backend: 'wasm' as const, threads: 1, checkpointEvery: 1 };
    await initRuntime({ backend: 'wasm', threads: 1 });
    const first = await trainClassifier(opts);
    for (let i = 0; i < 2; i++) {
      const resumed = await trainClassifier({ ...opts, resume: true });
      expect(resumed.artifact).toEqual(first.artifact);
    }
    expect((await readdir(join(tmp.path, 'root', 'classifier', 'all'))).sort()).toEqual(['LATEST', 'v0001']);
  });

  it('item 14: E_DIVERGED advises a fresh run with a lower --lr (never --resume with it); E_DECODE names no flag train-* lacks', async () => {
    await initRuntime({ backend: 'cpu', threads: 1 });
    const x = tf.input({ shape: [2] });
    const model = tf.model({ inputs: x, outputs: tf.layers.dense({ units: 1 }).apply(x) as tf.SymbolicTensor });
    const opt = tf.train.adam(0.5);
    const run = new TrainingRun({ root: join(tmp.path, 'diverge'), kind: 'toy', category: 'c', config: {}, seed: 1, runtime: { backend: 'cpu' } as never }, {
      models: { net: model },
      optimizer: opt,
      checkpointEvery: 1,
      started: performance.now(),
      warnings: [],
      options: {},
    });
    async function* batches(): AsyncGenerator<number> {
      yield 1;
      yield 1;
    }
    let calls = 0;
    const err = await failure(
      run.loop({
        epochs: 1,
        stepsPerEpoch: 2,
        batches,
        batchSize: () => 1,
        lr: () => 0.5,
        // The second step explodes the weights (as --lr 1e6 did) while its loss still looks finite.
        step: async () => {
          if (calls++ === 1) tf.tidy(() => model.setWeights(model.getWeights().map((w) => tf.fill(w.shape, 5.8e27))));
          return { loss: 1 };
        },
        checkpoint: () => ({ extra: null }),
      }),
    );
    model.dispose();
    opt.dispose();
    expect(err.code).toBe('E_DIVERGED');
    const advice = err.suggestions?.join(' ') ?? '';
    expect(advice).toContain('--lr 0.050');
    expect(advice).toContain('without --resume');
    expect(advice).not.toMatch(/run again with --resume/);
    const bad = join(tmp.path, 'bad.png');
    await writeFile(bad, 'not a png');
    const decode = await failure(decodeImage(bad));
    expect(decode.code).toBe('E_DECODE');
    expect(decode.suggestions?.join(' ')).toContain('dataset inspect');
    expect(decode.suggestions?.join(' ')).not.toMatch(/^Re-export or remove the file, or pass --skip-bad-images/);
  });
});
