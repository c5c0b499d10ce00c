// PatchCore inference with the frozen backbone on the feature engine (as train-patchcore's): infer's --engine maps
// onto it, the choice and auto's reason are reported, nothing leaks; and, in a child process (onnxruntime rejects
// its own output arrays inside jest's VM realm, which is also why auto falls back here, saying why), onnxruntime's
// scores and maps match tfjs's for one bank (whole in onnxruntime, and with a global term: backbone maps only) and
// an ensemble, whole and tiled, through build-perfmap and infer too.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import * as tf from '@tensorflow/tfjs';
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { loadDetectorForEngine } from '../../../src/pipeline/detectors/engine-loader.js';
import { trainPatchcore } from '../../../src/pipeline/services/train-patchcore.js';
import { makeTinyDataset } from '../../helpers/tiny-dataset.js';

const execFileAsync = promisify(execFile);

describe('PatchCore inference on the feature engine', () => {
  let dir: string;
  let model: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'madenet-patchcore-infer-engine-'));
    await makeTinyDataset(join(dir, 'data'), { size: 32, normals: 10, testNormals: 2, defects: 2 });
    const r = await trainPatchcore({ data: join(dir, 'data'), category: 'widget', out: join(dir, 'm'), seed: 3, backend: 'wasm', threads: 1, imageSize: 32, coresetRatio: 0.25, backbone: 'random', layers: ['layer1', 'layer2'], globalLayer: null, featureEngine: 'tfjs' });
    model = r.artifact.dir;
  }, 120_000);
  afterAll(async () => rm(dir, { recursive: true, force: true }));

  it('reports the choice: tfjs when requested; auto ran onnx or says why not; scoring and disposing leak no tensor', async () => {
    const start = tf.memory().numTensors;
    const tfjs = await loadDetectorForEngine(model, 'tfjs');
    expect(tfjs.choice).toEqual({ engine: 'tfjs', dir: model, reason: 'requested' });
    expect(tfjs.featureEngine).toEqual({ used: 'tfjs', reason: null });
    const auto = await loadDetectorForEngine(model, 'auto', { threads: 1 });
    if (auto.choice.engine === 'tfjs') expect(auto.choice.reason).toMatch(/^the frozen backbone runs in tfjs, not onnxruntime: .+/);
    else expect(auto.choice.reason).toContain('onnxruntime');
    expect(auto.engine).toBe(auto.choice.engine);
    const images = Float32Array.from({ length: 3 * 32 * 32 * 3 }, (_, i) => ((i * 7) % 13) / 13);
    const loaded = tf.memory().numTensors;
    const [a, b] = [await tfjs.predictAsync(images, 3), await auto.predictAsync(images, 3)];
    expect(tf.memory().numTensors).toBe(loaded);
    expect(a.scores).toHaveLength(3);
    expect(a.maps).toHaveLength(3 * 32 * 32);
    if (auto.choice.engine === 'tfjs') expect(Array.from(b.scores)).toEqual(Array.from(a.scores));
    tfjs.dispose();
    auto.dispose();
    expect(tf.memory().numTensors).toBe(start);
  }, 60_000);

  it('Given onnxruntime, one bank and an ensemble score as with tfjs, whole and tiled, through build-perfmap and infer', async () => {
    const { tryLoadOrt } = await import('../../../src/pipeline/engines/onnxruntime.js');
    if (!('ort' in (await tryLoadOrt()))) return; // optional dependency not installed: nothing to compare
    const { stdout } = await execFileAsync(process.execPath, ['--import', 'tsx', join('test', 'helpers', 'onnx-patchcore-infer-parity.ts'), join(dir, 'data'), join(dir, 'parity')], {
      cwd: process.cwd(),
      env: { ...process.env, NODE_OPTIONS: '' },
    });
    type Diff = { diff: number; scale: number; n: number };
    const r = JSON.parse(stdout.trim().split('\n').at(-1) as string) as {
      cases: Record<string, { engines: unknown[]; scores: Diff; maps: Diff; tiledScores: Diff; tiledMaps: Diff; syncVsTfjs: Diff; tensors: Record<string, number> }>;
      chunked: { rows: number; maps: Diff; patchMax: Diff };
      perfmap: { engines: { used: string; reason: string | null }[][] };
      infer: { engines: { engine: string; reason: string }[][]; images: number; scores: Diff };
    };
    // Different kernels (onnxruntime's vs XNNPACK's), same maths: the backbone maps differ by ~1e-6 of their range,
    // and the kNN's sqrt(|q|^2 - 2 q.m + |m|^2) amplifies that near zero distance (measured up to 3e-4 of the largest
    // map value on these random backbones); a layout or layer error would be of the values' own size.
    const close = (d: Diff): void => {
      expect(d.n).toBeGreaterThan(0);
      expect(d.scale).toBeGreaterThan(0);
      expect(d.diff).toBeLessThan(1e-3 * d.scale);
    };
    for (const name of ['single', 'global', 'ensemble']) {
      const c = r.cases[name] as NonNullable<(typeof r.cases)[string]>;
      expect(c.engines).toEqual([{ used: 'tfjs', reason: null }, { used: 'onnx', reason: null }, 'tfjs', 'onnx']);
      [c.scores, c.maps, c.tiledScores, c.tiledMaps].forEach(close);
      expect(c.syncVsTfjs.diff).toBeLessThan(1e-6 * c.syncVsTfjs.scale);
      // Per batch every tensor is disposed; disposing the detectors frees their banks and extractors.
      expect(c.tensors.afterScoring).toBe(c.tensors.loaded);
      expect(c.tensors.afterDispose).toBe(c.tensors.before);
    }
    expect(r.chunked.rows).toBeGreaterThan(37 * 2); // at least three chunks
    expect(r.chunked.maps.diff).toBeLessThan(1e-5 * r.chunked.maps.scale);
    expect(r.chunked.patchMax.diff).toBeLessThan(1e-5 * r.chunked.patchMax.scale);
    expect(r.perfmap.engines[0]).toEqual([expect.objectContaining({ used: 'onnx', reason: null })]);
    expect(r.perfmap.engines[1]).toEqual([]); // --feature-engine tfjs: the registry's tfjs detector, nothing chosen
    expect(r.infer.engines.map((e) => e.map((l) => l.engine))).toEqual([['onnx'], ['tfjs']]);
    expect(r.infer.images).toBe(4);
    close(r.infer.scores);
  }, 240_000);
});
