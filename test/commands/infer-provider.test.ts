/** @jest-environment ./test/pipeline/engines/ort-environment.cjs */
// Given a perfmap over a tiny exported SFAD artifact, when `madenet infer --execution-provider` runs, then cpu
// predicts like tfjs and reports the providers per model; cuda without onnxruntime's CUDA provider (as on
// this machine) fails with E_EXECUTION_PROVIDER before writing any prediction (no CPU
// fallback); cuda with --engine tfjs and unknown providers are usage errors.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import Infer from '../../src/commands/infer.js';
import { providerUnavailable } from '../../src/pipeline/engines/execution-provider.js';
import { ortProviderFacts } from '../../src/pipeline/engines/onnxruntime.js';
import { initRuntime } from '../../src/pipeline/runtime/backend.js';
import { buildPerfmap } from '../../src/pipeline/services/build-perfmap.js';
import { exportModel } from '../../src/pipeline/services/export.js';
import { runCommand } from '../helpers/run-command.js';
import { makeTinyDataset } from '../helpers/tiny-dataset.js';
import { writeTinyArtifact } from '../pipeline/engines/artifact-fixtures.js';
import { byPath, readLines } from '../pipeline/infer/infer-helpers.js';
import { useTempDir } from '../helpers/temp-dir.js';

const rt = { backend: 'wasm' as const, threads: 1 };

interface Loaded {
  engine: string;
  provider?: string;
  executionProviders?: string[];
}

describe('infer --execution-provider', () => {
  const tmp = useTempDir('madenet-provider-');
  let common: string[];
  beforeAll(async () => {
    await initRuntime(rt);
    const data = join(tmp.path, 'data');
    await makeTinyDataset(data, { categories: ['QFN'], size: 64, normals: 6, testNormals: 2, defects: 2 });
    const art = join(tmp.path, 'artifacts');
    const model = (await writeTinyArtifact(art, 'sfad', 'QFN')).dir;
    const map = await buildPerfmap({ data, models: [model], lambda: 0.5, seed: 5, out: art, ...rt });
    await exportModel({ model, ...rt, parityImages: 2 });
    common = ['--perfmap', map.artifact.dir, '--input', join(data, 'QFN', 'test', '*', '*.png'), '--assume-category', 'QFN', '--backend', 'wasm', '--threads', '1', '--json'];
  });

  it('cpu (the default) runs onnxruntime on the CPU, reports it, and predicts like tfjs', async () => {
    const cpu = await runCommand(Infer, [...common, '--out', join(tmp.path, 'cpu'), '--engine', 'onnx', '--execution-provider', 'cpu']);
    const dflt = await runCommand(Infer, [...common, '--out', join(tmp.path, 'default'), '--engine', 'auto']);
    const tfjs = await runCommand(Infer, [...common, '--out', join(tmp.path, 'tfjs'), '--engine', 'tfjs']);
    for (const r of [cpu, dflt, tfjs]) expect([r.error?.message, r.exitCode ?? 0]).toEqual([undefined, 0]);
    const doc = JSON.parse(cpu.stdout) as { engine: { executionProvider: string; loaded: Loaded[] } };
    expect(doc.engine.executionProvider).toBe('cpu');
    expect(doc.engine.loaded).toHaveLength(1);
    expect(doc.engine.loaded[0]).toMatchObject({ engine: 'onnx', provider: 'cpu', executionProviders: ['cpu'] });
    expect((JSON.parse(dflt.stdout) as { engine: { loaded: Loaded[] } }).engine.loaded[0]).toMatchObject({ engine: 'onnx', executionProviders: ['cpu'] });
    const t = (JSON.parse(tfjs.stdout) as { engine: { loaded: Loaded[] } }).engine.loaded[0];
    expect(t?.engine).toBe('tfjs');
    expect(t?.executionProviders).toBeUndefined();

    const a = byPath(await readLines(join(tmp.path, 'tfjs')));
    const b = byPath(await readLines(join(tmp.path, 'cpu')));
    expect(a).toHaveLength(4);
    expect(b.map((l) => [l.path, l.label])).toEqual(a.map((l) => [l.path, l.label]));
    const scale = Math.max(1, ...a.map((l) => Math.abs(l.score)));
    for (const [i, x] of a.entries()) expect(Math.abs((b[i]?.score ?? NaN) - x.score)).toBeLessThanOrEqual(1e-4 * scale);
  });

  it('cuda fails with E_EXECUTION_PROVIDER where onnxruntime-node has no CUDA provider, writing nothing', async () => {
    const cudaHere = providerUnavailable('cuda', await ortProviderFacts('cuda')) === null;
    for (const engine of ['onnx', 'auto']) {
      const out = join(tmp.path, `cuda-${engine}`);
      const r = await runCommand(Infer, [...common, '--out', out, '--engine', engine, '--execution-provider', 'cuda']);
      if (cudaHere) {
        // A machine with the CUDA provider installed: the run happens on cuda (cpu only for ops CUDA lacks).
        expect(r.exitCode ?? 0).toBe(0);
        expect((JSON.parse(r.stdout) as { engine: { loaded: Loaded[] } }).engine.loaded[0]).toMatchObject({ engine: 'onnx', provider: 'cuda', executionProviders: ['cuda', 'cpu'] });
        continue;
      }
      expect(r.exitCode).toBe(1);
      const err = (JSON.parse(r.stdout) as { error: { code: string; message: string; suggestions: string[] } }).error;
      expect(err.code).toBe('E_EXECUTION_PROVIDER');
      expect(err.message).toMatch(/cannot run the cuda execution provider/);
      expect(err.message).toMatch(/supports cpu/);
      expect(err.suggestions.join('\n')).toContain('ONNXRUNTIME_NODE_INSTALL=cuda12 npm install onnxruntime-node');
      expect(existsSync(join(out, 'predictions.jsonl'))).toBe(false);
    }
  });

  it('refuses cuda with --engine tfjs and unknown providers', async () => {
    const tfjs = await runCommand(Infer, [...common, '--out', join(tmp.path, 'x1'), '--engine', 'tfjs', '--execution-provider', 'cuda']);
    expect(tfjs.exitCode).not.toBe(0);
    expect((JSON.parse(tfjs.stdout) as { error: { code: string; message: string } }).error).toMatchObject({ code: 'E_USAGE', message: expect.stringMatching(/--execution-provider cuda applies to the onnx engine/) });
    const bad = await runCommand(Infer, [...common, '--out', join(tmp.path, 'x2'), '--execution-provider', 'gpu']);
    expect(bad.exitCode).toBe(2);
    expect((JSON.parse(bad.stdout) as { error: { code: string } }).error.code).toBe('E_USAGE');
    expect(existsSync(join(tmp.path, 'x1', 'predictions.jsonl'))).toBe(false);
  });
});
