/** @jest-environment ./test/pipeline/engines/ort-environment.cjs */
// Given the tiny preset of every submodel and the classifier exported to ONNX, when bench/pytorch/onnx_torch.py
// runs each file with PyTorch operators (eager, folded batch norm, jit), then its outputs match onnxruntime's
// to 1e-4 x max(1, max|ort|): the PyTorch benchmark measures the same network. Skips when the interpreter
// (MADENET_PYTHON or /usr/bin/python3) lacks torch or onnx.
import { spawnSync } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BENCH_MODELS, buildBenchModel } from '../../../src/pipeline/engines/bench/onnx-bench.js';
import { createOrtSession, runOrt } from '../../../src/pipeline/engines/onnxruntime.js';
import { encodeModel } from '../../../src/pipeline/export/onnx-proto.js';
import { writeNpy } from '../../../src/pipeline/io/npy.js';
import { Rng } from '../../../src/pipeline/core/random.js';
import { useTempDir } from '../../helpers/temp-dir.js';
import { useBackend } from '../../helpers/backends.js';

const python = process.env.MADENET_PYTHON ?? '/usr/bin/python3';
const script = fileURLToPath(new URL('../../../bench/pytorch/routed-bench.py', import.meta.url));
const probe = spawnSync(python, ['-c', 'import torch, onnx'], { encoding: 'utf8', timeout: 120_000 });
const haveTorch = !probe.error && probe.status === 0;

(haveTorch ? describe : describe.skip)('PyTorch executor of exported ONNX files', () => {
  useBackend('wasm');
  const tmp = useTempDir('madenet-torch-onnx-');

  it('matches onnxruntime on every tiny model in every mode', async () => {
    const rng = new Rng(3);
    for (const model of BENCH_MODELS) {
      const b = buildBenchModel(model, 'tiny');
      const bytes = encodeModel(b.graph.toModel({ producerVersion: 'test' }));
      b.dispose();
      const dims = [2, b.size, b.size, 3];
      const input = Float32Array.from({ length: 2 * b.size * b.size * 3 }, () => rng.next());
      await writeFile(join(tmp.path, `${model}.onnx`), bytes);
      await writeNpy(join(tmp.path, `${model}.input.npy`), input, dims);
      const session = await createOrtSession(bytes, { threads: 1 });
      for (const [name, t] of Object.entries(await runOrt(session, input, dims))) await writeNpy(join(tmp.path, `${model}.${name}.npy`), t.data, t.dims);
      await session.release();
    }
    const run = spawnSync(python, [script, '--dir', tmp.path, '--models', BENCH_MODELS.join(','), '--reps', '1', '--warmup', '0'], { encoding: 'utf8', timeout: 600_000, env: { ...process.env, OMP_NUM_THREADS: '1' } });
    expect(run.stderr.split('\n').filter((l) => /Error|Traceback/.test(l))).toEqual([]);
    expect(run.status).toBe(0);
    const out = JSON.parse(run.stdout.trim().split('\n').pop() ?? '{}') as { results: { model: string; mode: string; parityPassed: boolean; parity: Record<string, { maxAbs: number }> }[] };
    expect(out.results.map((r) => `${r.model}/${r.mode}`)).toEqual(BENCH_MODELS.flatMap((m) => ['eager', 'fold', 'jit'].map((k) => `${m}/${k}`)));
    for (const r of out.results) expect({ at: `${r.model}/${r.mode}`, passed: r.parityPassed, parity: r.parity }).toMatchObject({ passed: true });
    // Each detector reports both outputs, the classifier its probabilities.
    expect(Object.keys(out.results[0]?.parity ?? {}).sort()).toEqual(['maps', 'scores']);
    expect(Object.keys(out.results.find((r) => r.model === 'classifier')?.parity ?? {})).toEqual(['probs']);
  }, 600_000);
});
