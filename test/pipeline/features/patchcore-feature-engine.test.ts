// train-patchcore's --feature-engine: which engine ran is reported and recorded; onnxruntime's backbone maps give
// the same bank as tfjs's to float rounding (compared in a child process: onnxruntime rejects its own output
// arrays inside jest's VM realm, which is also why auto falls back to tfjs here, saying why).
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { loadArtifact } from '../../../src/pipeline/artifacts/index.js';
import { trainPatchcore } from '../../../src/pipeline/services/train-patchcore.js';
import { makeTinyDataset } from '../../helpers/tiny-dataset.js';

const execFileAsync = promisify(execFile);

describe('train-patchcore --feature-engine', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'madenet-patchcore-engine-'));
    await makeTinyDataset(join(dir, 'data'), { size: 32, normals: 8, testNormals: 2, defects: 2 });
  });
  afterAll(async () => rm(dir, { recursive: true, force: true }));

  const base = () => ({ data: join(dir, 'data'), category: 'widget', seed: 7, backend: 'wasm' as const, threads: 1, imageSize: 32, coresetRatio: 0.25, backbone: 'random', layers: ['layer1', 'layer2'] });

  it('reports and records the engine: tfjs when asked; auto either ran onnx or says why it fell back', async () => {
    const tfjs = await trainPatchcore({ ...base(), out: join(dir, 'tfjs'), featureEngine: 'tfjs' });
    expect(tfjs.featureEngine).toEqual({ used: 'tfjs', reason: null });
    expect((await loadArtifact(tfjs.artifact.dir)).manifest.config).toMatchObject({ featureEngine: { used: 'tfjs', reason: null } });
    const auto = await trainPatchcore({ ...base(), out: join(dir, 'auto') });
    expect(auto.featureEngine.used === 'onnx' || (auto.featureEngine.used === 'tfjs' && typeof auto.featureEngine.reason === 'string')).toBe(true);
    if (auto.featureEngine.reason) expect(auto.warnings.join(' ')).toContain(auto.featureEngine.reason);
    expect((await loadArtifact(auto.artifact.dir)).manifest.config).toMatchObject({ featureEngine: auto.featureEngine });
  }, 120_000);

  it('Given onnxruntime, the bank and validation through it match tfjs to float rounding', async () => {
    const { tryLoadOrt } = await import('../../../src/pipeline/engines/onnxruntime.js');
    if (!('ort' in (await tryLoadOrt()))) return; // optional dependency not installed: nothing to compare
    const { stdout } = await execFileAsync(process.execPath, ['--import', 'tsx', join('test', 'helpers', 'onnx-patchcore-parity.ts'), join(dir, 'data'), join(dir, 'parity'), 'random', '32'], {
      cwd: process.cwd(),
      env: { ...process.env, NODE_OPTIONS: '' },
    });
    const r = JSON.parse(stdout.trim().split('\n').at(-1) as string) as {
      engines: { used: string; reason: string | null }[];
      recorded: unknown[];
      shapes: number[][];
      diff: number;
      scale: number;
      auroc: number[];
      threshold: number[];
    };
    expect(r.engines).toEqual([{ used: 'tfjs', reason: null }, { used: 'onnx', reason: null }]);
    expect(r.recorded).toEqual(r.engines);
    expect(r.shapes[1]).toEqual(r.shapes[0]);
    expect(r.scale).toBeGreaterThan(0);
    // Different kernels (onnxruntime's vs XNNPACK's), same maths: float32 rounding of sums over thousands of terms
    // is ~1e-6 of the values (measured 1e-6 to 1e-5 on ResNet-18 and the packaged MobileNetV2/InceptionV3); a
    // layout or layer error would be of the values' own size.
    expect(r.diff).toBeLessThan(1e-4 * r.scale);
    expect(r.auroc[1]).toBeCloseTo(r.auroc[0] as number, 6);
    const [t0, t1] = r.threshold as [number, number];
    expect(Math.abs(t1 - t0)).toBeLessThan(1e-4 * Math.max(1, Math.abs(t0)));
  }, 120_000);
});
