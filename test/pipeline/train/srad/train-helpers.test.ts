// Tests of the generic helpers under src/pipeline/train/train-*.ts (checkpoint, optimizer state, finiteness)
// and of SRAD's batch plumbing; they sit here because this folder belongs to the helper who wrote them.
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { modelArtifactsOf } from '../../../../src/pipeline/artifacts/index.js';
import { loadDataset, samplesOf } from '../../../../src/pipeline/io/dataset.js';
import { TextureBank } from '../../../../src/pipeline/synth/texture-bank.js';
import { initialLoopState } from '../../../../src/pipeline/train/loop.js';
import { differingPaths, restoreTrainCheckpoint, saveTrainCheckpoint, setWeightsFromArtifacts } from '../../../../src/pipeline/train/train-checkpoint.js';
import { weightsFinite } from '../../../../src/pipeline/train/train-finite.js';
import { optimizerStateFiles, restoreOptimizerState } from '../../../../src/pipeline/train/train-optimizer-state.js';
import { MIN_SELECTION_DEFECTS, planSradValidation } from '../../../../src/pipeline/submodels/srad/train/srad-validation.js';
import { ForegroundCache, sradEpochBatches, sradStepsPerEpoch, synthesizeSradBatch } from '../../../../src/pipeline/submodels/srad/train/srad-batches.js';
import { makeTinyDataset } from '../../../helpers/tiny-dataset.js';
import { useTempDir } from '../../../helpers/temp-dir.js';
import { useBackend } from '../../../helpers/backends.js';

function denseModel(seed: number): tf.LayersModel {
  const x = tf.input({ shape: [3] });
  const h = tf.layers.dense({ units: 4, activation: 'relu', kernelInitializer: tf.initializers.glorotUniform({ seed }) }).apply(x) as tf.SymbolicTensor;
  const bn = tf.layers.batchNormalization().apply(h) as tf.SymbolicTensor;
  const y = tf.layers.dense({ units: 1, kernelInitializer: tf.initializers.glorotUniform({ seed: seed + 1 }) }).apply(bn) as tf.SymbolicTensor;
  return tf.model({ inputs: x, outputs: y });
}

/** One Adam step on a fixed regression batch; returns the loss. */
function step(model: tf.LayersModel, opt: tf.Optimizer, k: number): number {
  const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const cost = opt.minimize(
    () => {
      const x = tf.tensor2d([[k, 1, -1], [0.5, -k, 2], [1, 1, 1], [-2, 0, k]]);
      const pred = model.apply(x, { training: true }) as tf.Tensor;
      return pred.sub(tf.tensor2d([[1], [0], [2], [-1]])).square().mean() as tf.Scalar;
    },
    true,
    vars,
  ) as tf.Scalar;
  const v = cost.dataSync()[0] as number;
  cost.dispose();
  return v;
}

const flat = (m: tf.LayersModel): number[] => m.getWeights().flatMap((w) => Array.from(w.dataSync()));

describe('training helpers [wasm]', () => {
  useBackend('wasm');
  const tmp = useTempDir('madenet-train-helpers-');

  it('restores Adam exactly: the next steps equal those of the uninterrupted optimizer', async () => {
    const a = denseModel(1);
    const optA = tf.train.adam(0.05);
    for (let k = 0; k < 3; k++) step(a, optA, k);
    const files = await optimizerStateFiles(optA);
    const saved = await modelArtifactsOf(a);

    const b = denseModel(7);
    const optB = tf.train.adam(0.05);
    const before = tf.memory().numTensors;
    setWeightsFromArtifacts(b, saved, 'test');
    await restoreOptimizerState(optB, files['optimizer.json'] as string, files['optimizer.bin'] as Buffer, 'test');
    // New slot variables (2 per trainable weight) are the only tensors added.
    expect(tf.memory().numTensors - before).toBe(2 * b.trainableWeights.length);
    expect(flat(b)).toEqual(flat(a));
    for (let k = 3; k < 6; k++) expect(step(b, optB, k)).toBe(step(a, optA, k));
    expect(flat(b)).toEqual(flat(a));
    const sgd = tf.train.sgd(0.1);
    await expect(restoreOptimizerState(sgd, files['optimizer.json'] as string, files['optimizer.bin'] as Buffer, 'ckpt')).rejects.toMatchObject({ code: 'E_ARTIFACT' });
    [optA, optB, sgd].forEach((o) => o.dispose());
    a.dispose();
    b.dispose();
  });

  it('saves and restores a checkpoint with loop state, snapshots and extra JSON; refuses another config', async () => {
    const m = denseModel(2);
    const opt = tf.train.adam(0.01);
    step(m, opt, 1);
    const loop = { ...initialLoopState(), step: 1, epoch: 1, bestScore: 0.5, bestEpoch: 1 };
    const snapshot = await modelArtifactsOf(m);
    step(m, opt, 2);
    const target = { root: tmp.path, kind: 'test', category: 'c', config: { lr: 0.01, nested: { a: [1, 2] } }, seed: 5 };
    await saveTrainCheckpoint(target, { models: { net: m }, optimizer: opt, loop, snapshots: { net: snapshot }, extra: { note: 'x' } });

    const fresh = denseModel(9);
    const opt2 = tf.train.adam(0.01);
    const restored = await restoreTrainCheckpoint<{ note: string }>(target, { models: { net: fresh }, optimizer: opt2 });
    expect(restored?.loop).toEqual(loop);
    expect(restored?.extra).toEqual({ note: 'x' });
    expect(flat(fresh)).toEqual(flat(m));
    const fromSnapshot = denseModel(11);
    setWeightsFromArtifacts(fromSnapshot, restored!.snapshots.net!, 'snapshot');
    expect(flat(fromSnapshot)).not.toEqual(flat(m));

    await expect(
      restoreTrainCheckpoint({ ...target, config: { lr: 0.02, nested: { a: [1, 3] } } }, { models: { net: fresh }, optimizer: tf.train.adam(0.01) }),
    ).rejects.toMatchObject({ code: 'E_RESUME', message: expect.stringContaining('lr, nested.a.1') });
    expect(await restoreTrainCheckpoint({ ...target, category: 'none' }, { models: { net: fresh }, optimizer: opt2 })).toBeNull();
    [m, fresh, fromSnapshot].forEach((x) => x.dispose());
  });

  it('refuses weights of another shape', async () => {
    const m = denseModel(1);
    const x = tf.input({ shape: [3] });
    const other = tf.model({ inputs: x, outputs: tf.layers.dense({ units: 2 }).apply(x) as tf.SymbolicTensor });
    expect(() => setWeightsFromArtifacts(other, { weightSpecs: [], weightData: new ArrayBuffer(0) }, 'empty')).toThrow(/0 weight tensors/);
    const saved = await modelArtifactsOf(m);
    const two = tf.input({ shape: [3] });
    const h = tf.layers.dense({ units: 5 }).apply(two) as tf.SymbolicTensor;
    const bn = tf.layers.batchNormalization().apply(h) as tf.SymbolicTensor;
    const wide = tf.model({ inputs: two, outputs: tf.layers.dense({ units: 1 }).apply(bn) as tf.SymbolicTensor });
    expect(() => setWeightsFromArtifacts(wide, saved, 'wide')).toThrow(/shape \[3, 4\]; expected \[3, 5\]/);
    [m, other, wide].forEach((x) => x.dispose());
  });

  it('differingPaths lists where two JSON values differ', () => {
    expect(differingPaths({ a: 1, b: { c: [1, 2] } }, { a: 1, b: { c: [1, 2] } })).toEqual([]);
    expect(differingPaths({ a: 1, b: { c: [1, 2] } }, { a: 2, b: { c: [1] }, d: true })).toEqual(['a', 'b.c.1', 'd']);
    expect(differingPaths(1, '1')).toEqual(['(root)']);
  });

  it('weightsFinite sees an overflowed weight without leaking', async () => {
    const m = denseModel(3);
    const before = tf.memory().numTensors;
    expect(await weightsFinite([m])).toBe(true);
    const w = m.getWeights();
    const bad = tf.tensor(Array.from(w[0]!.dataSync()).map((v, i) => (i === 2 ? Infinity : v)), w[0]!.shape);
    m.setWeights([bad, ...w.slice(1)]);
    bad.dispose();
    expect(await weightsFinite([m])).toBe(false);
    expect(tf.memory().numTensors).toBe(before);
    m.dispose();
  });

  it('SRAD batches depend only on (seed, epoch) and synthesise into [N,S,S,*] tensors', async () => {
    await makeTinyDataset(join(tmp.path, 'data'), { size: 32, normals: 5 });
    const samples = samplesOf(await loadDataset(join(tmp.path, 'data')), { split: 'train', label: 0 });
    const steps = sradStepsPerEpoch(samples.length, 2);
    expect(steps).toBe(2);
    expect(sradStepsPerEpoch(1, 4)).toBe(1);
    const epoch = async (e: number) => {
      const out: { paths: string[]; seeds: number[] }[] = [];
      for await (const b of sradEpochBatches(samples, { seed: 1, epoch: e, size: 32, batchSize: 2, stepsPerEpoch: steps })) {
        out.push({ paths: b.items.map((i) => i.sample.path), seeds: b.seeds });
      }
      return out;
    };
    const first = await epoch(0);
    expect(first).toHaveLength(2);
    expect(await epoch(0)).toEqual(first);
    expect(await epoch(1)).not.toEqual(first);

    const textures = TextureBank.procedural(32, 1, 3);
    const cache = new ForegroundCache();
    const before = tf.memory().numTensors;
    for await (const raw of sradEpochBatches(samples, { seed: 1, epoch: 0, size: 32, batchSize: 2, stepsPerEpoch: 1 })) {
      const b = synthesizeSradBatch(raw, { textures, foreground: 'auto', normalProbability: 0 }, cache);
      expect(b.image.shape).toEqual([2, 32, 32, 3]);
      expect(b.mask.shape).toEqual([2, 32, 32, 1]);
      // Every sample got a defect (normalProbability 0), and the clean images are the decoded ones.
      expect(tf.tidy(() => b.mask.sum([1, 2, 3]).arraySync())).toEqual([expect.any(Number), expect.any(Number)]);
      expect((tf.tidy(() => b.mask.sum([1, 2, 3]).min().arraySync()) as number) > 0).toBe(true);
      expect(Array.from(b.clean.dataSync().slice(0, 3 * 32 * 32))).toEqual(Array.from(raw.items[0]!.image.data));
      tf.dispose([b.image, b.clean, b.mask]);
    }
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('planSradValidation', () => {
  const tmp = useTempDir('madenet-srad-plan-');

  it('adds synthetic defects on the same held-out normals when few real defects are held out', async () => {
    await makeTinyDataset(join(tmp.path, 'few'), { size: 16, normals: 6, trainDefects: 5, defects: 1 });
    const few = planSradValidation(await loadDataset(join(tmp.path, 'few')), 'widget', { valFraction: 0.2, seed: 1 });
    expect(few.plan.source).toBe('train-defects');
    expect(few.plan.defects).toHaveLength(1);
    expect(few.supplement?.source).toBe('synthetic');
    expect(few.supplement?.normals).toEqual(few.plan.normals);
    expect(few.supplement?.synthetic.length).toBeGreaterThan(0);

    await makeTinyDataset(join(tmp.path, 'many'), { size: 16, normals: 6, trainDefects: 45, defects: 1 });
    const many = planSradValidation(await loadDataset(join(tmp.path, 'many')), 'widget', { valFraction: 0.2, seed: 1 });
    expect(many.plan.defects.length).toBeGreaterThanOrEqual(MIN_SELECTION_DEFECTS);
    expect(many.supplement).toBeNull();

    await makeTinyDataset(join(tmp.path, 'none'), { size: 16, normals: 6, defects: 1 });
    const none = planSradValidation(await loadDataset(join(tmp.path, 'none')), 'widget', { valFraction: 0.2, seed: 1 });
    expect(none.plan.source).toBe('synthetic');
    expect(none.supplement).toBeNull();
  });
});
