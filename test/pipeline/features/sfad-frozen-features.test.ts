// SFAD's frozen features computed once: the on-disk cache of the training features (hit, miss, invalidation by
// image content, backbone and layers), the in-memory memo of validation features, identical weights with and
// without the cache, and SFAD on a packaged npm network (manifest provenance with package, version, licence).
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import { copyFile, mkdtemp, readFile, rm } from 'node:fs/promises';
import { promisify } from 'node:util';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { sfadPreset } from '../../../src/pipeline/submodels/sfad/model/config.js';
import { buildSfad, disposeSfad } from '../../../src/pipeline/submodels/sfad/model/model.js';
import { loadArtifact } from '../../../src/pipeline/artifacts/index.js';
import { extractorKey, FeatureCache } from '../../../src/pipeline/features/feature-cache.js';
import { memoizeFrozen } from '../../../src/pipeline/features/frozen-memo.js';
import { loadDataset, type Sample } from '../../../src/pipeline/io/dataset.js';
import { initRuntime } from '../../../src/pipeline/runtime/backend.js';
import { trainSfad } from '../../../src/pipeline/services/train-sfad.js';
import { featureBank } from '../../../src/pipeline/submodels/sfad/train/sfad-batches.js';
import { findPackage } from '../../../src/pipeline/weights/npm-backbone.js';
import { makeTinyDataset } from '../../helpers/tiny-dataset.js';

const execFileAsync = promisify(execFile);

describe('SFAD frozen features', () => {
  let dir: string;
  let samples: Sample[];
  beforeAll(async () => {
    await initRuntime({ backend: 'wasm', threads: 1 });
    dir = await mkdtemp(join(tmpdir(), 'madenet-sfad-frozen-'));
    await makeTinyDataset(join(dir, 'data'), { size: 32, normals: 5, testNormals: 1, defects: 1 });
    samples = (await loadDataset(join(dir, 'data'), { categories: ['widget'] })).samples.filter((s) => s.split === 'train');
  });
  afterAll(async () => rm(dir, { recursive: true, force: true }));

  it('Given a feature cache, the first bank misses every image, the second hits every one with the same values, and a changed image, backbone or layer set misses', async () => {
    const cfg = sfadPreset('tiny', { imageSize: 32, featureDim: 16 });
    const cfg13 = sfadPreset('tiny', { imageSize: 32, featureDim: 16, layers: ['layer1', 'layer3'] });
    const models = [buildSfad(cfg, { seed: 1 }), buildSfad(cfg, { seed: 2 }), buildSfad(cfg13, { seed: 1 })] as const;
    try {
      const keyOf = (seed: number, layers: string[]) => extractorKey({ kind: 'sfad', provenance: { kind: 'random', arch: cfg.backbone, seed }, layers, size: 32, patchSize: 3, featureDim: 16 });
      const store = await FeatureCache.open(join(dir, 'cache1'), 64 * 2 ** 20);
      const bank = (m: (typeof models)[number], c: typeof cfg, seed: number, list: Sample[]) =>
        featureBank(m.extractor, list, c, { batchSize: 2, cache: { store, extractorKey: keyOf(seed, c.layers) } });
      const first = await bank(models[0], cfg, 1, samples);
      expect(store.stats).toMatchObject({ hits: 0, misses: samples.length, writes: samples.length });
      const uncached = await featureBank(models[0].extractor, samples, cfg, { batchSize: 2 });
      const second = await bank(models[0], cfg, 1, samples);
      expect(store.stats).toMatchObject({ hits: samples.length, misses: samples.length });
      expect(second).toEqual(first);
      expect(second).toEqual(uncached);

      // The same pixels under another name hit (content-addressed); other pixels miss.
      const renamed = join(dir, 'renamed.png');
      await copyFile((samples[0] as Sample).path, renamed);
      await bank(models[0], cfg, 1, [{ ...(samples[0] as Sample), path: renamed }]);
      expect(store.stats.hits).toBe(samples.length + 1);
      await bank(models[0], cfg, 1, [{ ...(samples[0] as Sample), path: (samples[1] as Sample).path }]);
      expect(store.stats.hits).toBe(samples.length + 2);
      const other = (await loadDataset(join(dir, 'data'), { categories: ['widget'] })).samples.find((s) => s.split === 'test') as Sample;
      await bank(models[0], cfg, 1, [other]);
      expect(store.stats.misses).toBe(samples.length + 1);

      // Another backbone (seed) or another layer set: every image misses, and the features differ.
      const seeded = await bank(models[1], cfg, 2, samples);
      expect(store.stats.misses).toBe(2 * samples.length + 1);
      expect(seeded?.[0]).not.toEqual(first?.[0]);
      const layered = await bank(models[2], cfg13, 1, samples);
      expect(store.stats.misses).toBe(3 * samples.length + 1);
      expect(layered?.[0]).not.toEqual(first?.[0]);
    } finally {
      models.forEach(disposeSfad);
    }
  });

  it('Given the validation memo, repeated images are read back bit-identical without calling the backbone; cap 0 always recomputes', () => {
    let calls = 0;
    const fn = (x: tf.Tensor4D): tf.Tensor => {
      calls++;
      return tf.tidy(() => x.mean(3).mul(2).add(x.max(3)));
    };
    const memo = memoizeFrozen(fn, 2 ** 20);
    const a = tf.randomUniform([3, 4, 4, 3], 0, 1, 'float32', 7) as tf.Tensor4D;
    const b = tf.randomUniform([3, 4, 4, 3], 0, 1, 'float32', 8) as tf.Tensor4D;
    const first = memo(a);
    const again = memo(a);
    expect(calls).toBe(1);
    expect(Array.from(again.dataSync())).toEqual(Array.from(first.dataSync()));
    expect(again.shape).toEqual(first.shape);
    memo(b);
    expect(calls).toBe(2);
    expect(memo.stats).toMatchObject({ hits: 3, misses: 6 });
    const off = memoizeFrozen(fn, 0);
    off(a);
    off(a);
    expect(calls).toBe(4);
    expect(off.stats.bytes).toBe(0);
    tf.dispose([a, b, first, again]);
  });

  it('Given the same seed, SFAD trained through a feature cache (cold, then warm) saves the same weights as without one', async () => {
    const base = { data: join(dir, 'data'), category: 'widget', preset: 'tiny' as const, imageSize: 32, epochs: 2, batchSize: 2, featureDim: 24, hidden: 8, seed: 5, backend: 'wasm' as const, threads: 1, checkpointEvery: 0 };
    const plain = await trainSfad({ ...base, out: join(dir, 'plain') });
    const cold = await trainSfad({ ...base, out: join(dir, 'cold'), featureCache: join(dir, 'cache2') });
    const warm = await trainSfad({ ...base, out: join(dir, 'warm'), featureCache: join(dir, 'cache2') });
    expect(cold.featureCache).toMatchObject({ hits: 0, misses: plain.trainImages });
    expect(warm.featureCache).toMatchObject({ hits: plain.trainImages, misses: 0 });
    // Validation ran twice on the same images: the second epoch read them all from memory.
    expect(plain.validationFeatures.hits).toBeGreaterThan(0);
    expect(plain.validationFeatures.hits).toBe(plain.validationFeatures.misses);
    const files = async (d: string) => (await loadArtifact(d)).manifest.files;
    const want = await files(plain.artifact.dir);
    for (const other of [cold, warm]) {
      const got = await files(other.artifact.dir);
      for (const name of Object.keys(want).filter((n) => /adaptor|discriminator/.test(n))) expect(got[name]).toEqual(want[name]);
    }
    expect(Object.keys(want).some((n) => /discriminator/.test(n))).toBe(true);
  });

  it('Given onnxruntime, the bank computed through it matches the tfjs bank to float rounding; train-sfad reports the engine it used', async () => {
    const { tryLoadOrt } = await import('../../../src/pipeline/engines/onnxruntime.js');
    const ort = await tryLoadOrt();
    const base = { data: join(dir, 'data'), category: 'widget', preset: 'tiny' as const, imageSize: 32, epochs: 1, batchSize: 2, seed: 1, backend: 'wasm' as const, threads: 1, checkpointEvery: 0 };
    // In jest's VM realm onnxruntime rejects its own outputs, so auto falls back to tfjs here and says why.
    const auto = await trainSfad({ ...base, out: join(dir, 'eng-auto') });
    expect(auto.featureEngine.used === 'onnx' || auto.featureEngine.reason !== null).toBe(true);
    expect((await trainSfad({ ...base, out: join(dir, 'eng-tfjs'), featureEngine: 'tfjs' })).featureEngine).toEqual({ used: 'tfjs', reason: null });
    if (!('ort' in ort)) return; // optional dependency not installed: nothing more to compare
    const { stdout } = await execFileAsync(process.execPath, ['--import', 'tsx', join('test', 'helpers', 'onnx-bank-parity.ts'), join(dir, 'data')], { cwd: process.cwd(), env: { ...process.env, NODE_OPTIONS: '' } });
    const r = JSON.parse(stdout.trim().split('\n').at(-1) as string) as { diff: number; scale: number; tfjs: number[]; onnx: number[] };
    expect(r.onnx).toEqual(r.tfjs);
    expect(r.scale).toBeGreaterThan(0);
    expect(r.diff).toBeLessThan(1e-4 * r.scale);
  });

  const npmIt = findPackage('nsfwjs') ? it : it.skip;
  npmIt('Given --backbone npm:nsfwjs/mobilenet_v2, SFAD trains on its default layers and the manifest records package, version, licence and layers', async () => {
    const r = await trainSfad({
      data: join(dir, 'data'), category: 'widget', out: join(dir, 'npm'), preset: 'tiny', imageSize: 64, epochs: 1, batchSize: 2, hidden: 8, seed: 3,
      backend: 'wasm', threads: 1, checkpointEvery: 0, backbone: 'npm:nsfwjs/mobilenet_v2',
    });
    const pkg = findPackage('nsfwjs');
    expect(r.provenance).toEqual({ kind: 'npm', id: 'npm:nsfwjs/mobilenet_v2', package: 'nsfwjs', version: pkg?.version, license: pkg?.license, net: 'mobilenet_v2' });
    expect(r.backboneArch).toBe('npm:nsfwjs/mobilenet_v2');
    expect(r.backboneParent).toBeNull();
    const manifest = JSON.parse(await readFile(join(r.artifact.dir, 'manifest.json'), 'utf8')) as { config: { model: { backbone: string; layers: string[]; featureDim: number }; backboneSource: unknown } };
    expect(manifest.config.backboneSource).toEqual(r.provenance);
    expect(manifest.config.model.backbone).toBe('npm:nsfwjs/mobilenet_v2');
    expect(manifest.config.model.layers).toEqual(['block_5_add', 'block_12_add']);
    // 32 + 96 channels: the tiny preset's 64 stays (a projection beyond the channels is capped, not needed here).
    expect(manifest.config.model.featureDim).toBe(64);
    expect(r.metrics.threshold.threshold).toEqual(expect.any(Number));
  });
});
