import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { classifierPreset } from '../../../../src/models/classifier/config.js';
import { buildClassifier } from '../../../../src/models/classifier/model.js';
import { loadClassifier } from '../../../../src/pipeline/detectors/classifier.js';
import { loadClassifierArtifact } from '../../../../src/pipeline/detectors/registry.js';
import { loadDataset, type Sample } from '../../../../src/pipeline/io/dataset.js';
import { initRuntime } from '../../../../src/pipeline/runtime/backend.js';
import { trainClassifier, type TrainClassifierOptions } from '../../../../src/pipeline/services/train-classifier.js';
import { balancedEpochOrder, splitClassifierData, type LabeledSample } from '../../../../src/pipeline/train/classifier/classifier-data.js';
import { restoreDropCounters } from '../../../../src/pipeline/train/classifier/classifier-drop-state.js';
import { confusionMetrics } from '../../../../src/pipeline/train/classifier/classifier-validation.js';
import { makeTinyDataset } from '../../../helpers/tiny-dataset.js';
import { expectSameCheckpointFiles, interruptAndResume } from '../../../helpers/training-run.js';
import { useTempDir } from '../../../helpers/temp-dir.js';
import { useBackend } from '../../../helpers/backends.js';
import { expectNoLeakAsync } from '../../../helpers/tensor-leaks.js';

const labeled = (label: number, n: number): LabeledSample[] =>
  Array.from({ length: n }, (_, i) => ({ label, sample: { path: `/c${label}/${i}.png` } as Sample }));

describe('classifier data and metrics', () => {
  it('draws classes in turn and cycles each class through all its images before repeating one', () => {
    const train = [...labeled(0, 5), ...labeled(1, 2)];
    const order = balancedEpochOrder(train, 2, { seed: 1, epoch: 0, count: 8 });
    expect(order.filter((o) => o.label === 0)).toHaveLength(4);
    expect(order.filter((o) => o.label === 1)).toHaveLength(4);
    const ones = order.filter((o) => o.label === 1).map((o) => o.sample.path);
    expect(new Set(ones.slice(0, 2)).size).toBe(2);
    expect(new Set(ones.slice(2, 4)).size).toBe(2);
    expect(new Set(order.filter((o) => o.label === 0).map((o) => o.sample.path)).size).toBe(4);
    expect(balancedEpochOrder(train, 2, { seed: 1, epoch: 0, count: 8 })).toEqual(order);
    expect(balancedEpochOrder(train, 2, { seed: 1, epoch: 1, count: 8 })).not.toEqual(order);
  });

  it('computes accuracy, balanced accuracy and per-class recall from a confusion matrix', () => {
    // 8 of class 0 (6 right), 2 of class 1 (2 right), none of class 2.
    const m = confusionMetrics([
      [6, 1, 1],
      [0, 2, 0],
      [0, 0, 0],
    ]);
    expect(m.images).toBe(10);
    expect(m.accuracy).toBeCloseTo(0.8);
    expect(m.perClassRecall).toEqual([0.75, 1, null]);
    expect(m.balancedAccuracy).toBeCloseTo(0.875);
    expect(confusionMetrics([[0]]).accuracy).toBeNull();
  });
});

describe('trainClassifier (tiny preset, 32 px, wasm)', () => {
  const tmp = useTempDir('madenet-train-classifier-');
  let base: Omit<TrainClassifierOptions, 'out'>;
  useBackend('wasm');
  beforeAll(async () => {
    await makeTinyDataset(join(tmp.path, 'data'), { categories: ['alpha', 'beta'], size: 32, normals: 5, testNormals: 1, defects: 1, trainDefects: 2 });
    base = { data: join(tmp.path, 'data'), preset: 'tiny', epochs: 2, batchSize: 4, lr: 1e-2, seed: 5, backend: 'wasm', threads: 1 };
  });

  it('holds out a seeded part of every category, normals and defects alike, disjoint from training', async () => {
    const ds = await loadDataset(join(tmp.path, 'data'));
    const split = splitClassifierData(ds, { valFraction: 0.3, seed: 1 });
    expect(split.categories).toEqual(['alpha', 'beta']);
    expect(split.counts.train.map((n, i) => n + split.counts.validation[i]!)).toEqual([7, 7]);
    const trainPaths = new Set(split.train.map((s) => s.sample.path));
    expect(split.validation.some((s) => trainPaths.has(s.sample.path))).toBe(false);
    expect(split.train.some((s) => s.sample.label === 1)).toBe(true);
    expect([...split.train, ...split.validation].every((s) => s.sample.split === 'train')).toBe(true);
    expect(split.train.every((s) => s.sample.category === split.categories[s.label])).toBe(true);
    expect(splitClassifierData(ds, { valFraction: 0.3, seed: 1 })).toEqual(split);
    expect(() => splitClassifierData({ ...ds, categories: ['alpha'] }, { valFraction: 0.3, seed: 1 })).toThrow(/at least two categories/);
  });

  it('trains, records accuracy and the confusion matrix, and saves a classifier loadClassifier can run', async () => {
    const r = await expectNoLeakAsync(() => trainClassifier({ ...base, out: join(tmp.path, 'a'), checkpointEvery: 0 }));
    expect(r.categories).toEqual(['alpha', 'beta']);
    expect(r.counts.train).toEqual({ alpha: 6, beta: 6 });
    expect(r.steps).toBe(6);
    expect(r.metrics.confusion.flat().reduce((a, b) => a + b, 0)).toBe(2);
    expect(r.metrics.accuracy).not.toBeNull();
    expect(r.artifact.dir).toMatch(/classifier[/\\]all[/\\]v0001$/);

    for (const load of [loadClassifier, loadClassifierArtifact]) {
      const c = await load(join(tmp.path, 'a', 'classifier', 'all'));
      expect(c.categories).toEqual(['alpha', 'beta']);
      expect(c.imageSize).toBe(32);
      const start = tf.memory().numTensors;
      const probs = tf.tidy(() => c.predict(tf.fill([3, 32, 32, 3], 0.4) as tf.Tensor4D));
      expect(probs.shape).toEqual([3, 2]);
      const sums = tf.tidy(() => probs.sum(1));
      Array.from(sums.dataSync()).forEach((s) => expect(s).toBeCloseTo(1, 5));
      tf.dispose([probs, sums]);
      expect(tf.memory().numTensors).toBe(start);
      c.dispose();
    }
  });

  it('resumes exactly from a checkpoint', async () => {
    const { resumed } = await interruptAndResume(trainClassifier, { ...base, checkpointEvery: 1 }, tmp.path, 4);
    expect(resumed.resumedFrom?.step).toBe(4);
    await expectSameCheckpointFiles(join(tmp.path, 'straight'), join(tmp.path, 'cut'), 'classifier', 'all', ['weights.bin', 'optimizer.bin']);
  });
});

describe('restoreDropCounters', () => {
  it('makes the next training call draw the masks it would have drawn after that many steps', async () => {
    await initRuntime({ backend: 'wasm', threads: 1 });
    const cfg = classifierPreset('tiny', { dropRate: 0.5, seed: 4 });
    const a = buildClassifier(cfg, 3);
    const b = buildClassifier(cfg, 3);
    b.setWeights(a.getWeights());
    const x = tf.randomUniform([2, 32, 32, 3], 0, 1, 'float32', 3);
    const run = (m: tf.LayersModel) => tf.tidy(() => Array.from((m.apply(x, { training: true }) as tf.Tensor).dataSync()));
    run(a);
    run(a);
    const third = run(a);
    // tiny has one block per stage, so no drop-path: the head's dropout is the one SeededDrop.
    expect(restoreDropCounters(b, 2)).toBe(1);
    expect(run(b)).toEqual(third);
    restoreDropCounters(b, 0);
    expect(run(b)).not.toEqual(third);
    x.dispose();
    a.dispose();
    b.dispose();
  });
});
