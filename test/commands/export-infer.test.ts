/** @jest-environment ./test/pipeline/engines/ort-environment.cjs */
// Given a perfmap over tiny SRAD/SFAD/LPD artifacts and a classifier, all exported to ONNX after the map was
// built, when `madenet infer` runs with --engine tfjs and with --engine onnx, then predictions.jsonl (and the
// saved maps) agree: same routes, artifacts, thresholds and labels, scores and maps within the parity tolerance.
import { jest } from '@jest/globals';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Infer from '../../src/commands/infer.js';
import { readNpy } from '../../src/pipeline/io/npy.js';
import { initRuntime } from '../../src/pipeline/runtime/backend.js';
import { buildPerfmap } from '../../src/pipeline/services/build-perfmap.js';
import { exportModel } from '../../src/pipeline/services/export.js';
import { makeTinyDataset } from '../helpers/tiny-dataset.js';
import { writeTinyArtifact } from '../pipeline/engines/artifact-fixtures.js';
import { byPath, readLines } from '../pipeline/infer/infer-helpers.js';
import { useTempDir } from '../helpers/temp-dir.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const rt = { backend: 'wasm' as const, threads: 1 };
const { abs, max } = Math;

async function runInfer(argv: string[]): Promise<{ stdout: string; exitCode: number | string | undefined }> {
  let stdout = '';
  const out = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stdout += chunk.toString();
    return true;
  });
  const err = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
  try {
    await Infer.run(argv, root);
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
  const exitCode = process.exitCode ?? undefined;
  process.exitCode = undefined;
  return { stdout, exitCode };
}

describe('infer --engine onnx vs --engine tfjs', () => {
  const tmp = useTempDir('madenet-engines-');
  beforeAll(async () => {
    await initRuntime(rt);
  });

  it('writes the same predictions.jsonl within tolerance', async () => {
    const data = join(tmp.path, 'data');
    await makeTinyDataset(data, { categories: ['QFN', 'BGA'], size: 64, normals: 6, testNormals: 3, defects: 3 });
    const art = join(tmp.path, 'artifacts');
    const models: string[] = [];
    for (const c of ['QFN', 'BGA']) for (const k of ['srad', 'sfad', 'lpd'] as const) models.push((await writeTinyArtifact(art, k, c, c.length)).dir);
    const classifier = (await writeTinyArtifact(art, 'classifier', 'all', 3, ['BGA', 'QFN'])).dir;
    const map = await buildPerfmap({ data, models, classifier, lambda: 0.5, seed: 5, out: art, ...rt });
    for (const m of [...models, classifier]) await exportModel({ model: m, ...rt, parityImages: 2 });

    const input = join(data, '*', 'test', '*', '*.png');
    const common = ['--perfmap', map.artifact.dir, '--input', input, '--save-maps', '--backend', 'wasm', '--threads', '1', '--min-confidence', '0', '--json'];
    const tfjs = await runInfer([...common, '--out', join(tmp.path, 'tfjs'), '--engine', 'tfjs']);
    const onnx = await runInfer([...common, '--out', join(tmp.path, 'onnx'), '--engine', 'onnx']);
    if ((tfjs.exitCode ?? 0) !== 0 || (onnx.exitCode ?? 0) !== 0) console.log(tfjs.stdout, onnx.stdout);
    expect(tfjs.exitCode ?? 0).toBe(0);
    expect(onnx.exitCode ?? 0).toBe(0);
    const engines = (doc: { engine: { loaded: { engine: string }[] } }): string[] => [...new Set(doc.engine.loaded.map((l) => l.engine))];
    expect(engines(JSON.parse(tfjs.stdout))).toEqual(['tfjs']);
    expect(engines(JSON.parse(onnx.stdout))).toEqual(['onnx']);

    const a = byPath(await readLines(join(tmp.path, 'tfjs')));
    const b = byPath(await readLines(join(tmp.path, 'onnx')));
    expect(a).toHaveLength(12);
    expect(b.map((l) => l.path)).toEqual(a.map((l) => l.path));
    for (const [i, x] of a.entries()) {
      const y = b[i] as (typeof b)[number];
      const { score: sx, classifier: cx, map: mx, ...restX } = x;
      const { score: sy, classifier: cy, map: my, ...restY } = y;
      expect(restY).toEqual(restX); // category, label, threshold, model, route, artifact (the perfmap's version)
      expect(cy?.category).toBe(cx?.category);
      expect(abs((cy?.confidence ?? 0) - (cx?.confidence ?? 0))).toBeLessThanOrEqual(1e-4);
      expect(abs(sy - sx)).toBeLessThanOrEqual(1e-4 * max(1, abs(sx)));
      const [mapX, mapY] = [await readNpy(join(tmp.path, 'tfjs', mx as string)), await readNpy(join(tmp.path, 'onnx', my as string))];
      expect(mapY.shape).toEqual(mapX.shape);
      let scale = 1;
      let diff = 0;
      for (let k = 0; k < mapX.data.length; k++) {
        scale = max(scale, abs(mapX.data[k] as number));
        diff = max(diff, abs((mapX.data[k] as number) - (mapY.data[k] as number)));
      }
      expect(diff).toBeLessThanOrEqual(1e-4 * scale);
    }
  });
});
