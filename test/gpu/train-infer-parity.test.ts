/** @jest-environment ./test/pipeline/engines/ort-environment.cjs */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import BuildPerfmap from '../../src/commands/build-perfmap.js';
import Export from '../../src/commands/export.js';
import Infer from '../../src/commands/infer.js';
import TrainSfad from '../../src/commands/train-sfad.js';
import { runCommand } from '../helpers/run-command.js';
import { makeTinyDataset } from '../helpers/tiny-dataset.js';
import { describeGpu } from './gpu-gate.js';
import { useTempDir } from '../helpers/temp-dir.js';

// The whole chain through the real commands on tiny data (32 px, tiny preset, 2 steps): train-sfad ->
// build-perfmap -> infer, once on wasm and once on webgpu, then image scores compared. Tolerances (relative to
// the largest |score|), observed on lavapipe (Mesa 25.0.7): trained on each backend 4.7e-5 (banked features,
// standardisation, two Adam steps and the threshold all recomputed on each backend), the same model scored on
// each 1.9e-6; onnxruntime's webgpu provider against its cpu provider 2.7e-6.
const TRAINED_TOL = 1e-3;
const SCORED_TOL = 1e-4;

async function ok(cmd: { run(argv: string[], root: string): Promise<unknown> }, argv: string[]): Promise<Record<string, unknown>> {
  const r = await runCommand(cmd, [...argv, '--json']);
  if (r.error !== undefined || (r.exitCode ?? 0) !== 0) throw new Error(`${argv.join(' ')}: ${r.stdout || r.stderr || String(r.error)}`);
  return JSON.parse(r.stdout) as Record<string, unknown>;
}

async function scores(out: string): Promise<Map<string, number>> {
  const lines = (await readFile(join(out, 'predictions.jsonl'), 'utf8')).trim().split('\n');
  return new Map(lines.map((l) => JSON.parse(l) as { path: string; score: number }).map((p) => [p.path, p.score]));
}

function relDiff(a: Map<string, number>, b: Map<string, number>): number {
  expect([...a.keys()].sort()).toEqual([...b.keys()].sort());
  let diff = 0;
  let scale = 0;
  for (const [k, v] of b) {
    diff = Math.max(diff, Math.abs((a.get(k) as number) - v));
    scale = Math.max(scale, Math.abs(v));
  }
  return diff / Math.max(scale, 1e-12);
}

describeGpu('train-sfad -> build-perfmap -> infer on webgpu gives the scores wasm gives', () => {
  const tmp = useTempDir('madenet-gpu-e2e-');
  let data: string;
  const model: Record<string, string> = {};
  const perfmap: Record<string, string> = {};
  beforeAll(async () => {
    data = join(tmp.path, 'data');
    await makeTinyDataset(data, { size: 32, normals: 5, testNormals: 2, defects: 2 });
  });

  const train = ['--category', 'widget', '--backbone', 'random', '--preset', 'tiny', '--image-size', '32', '--threads', '1', '--epochs', '1', '--batch-size', '2', '--feature-dim', '48', '--hidden', '16', '--checkpoint-every', '0'];

  it.each(['wasm', 'webgpu'])('trains, maps and infers on %s', async (backend) => {
    const out = join(tmp.path, backend);
    const trained = await ok(TrainSfad, ['--data', data, '--out', out, '--backend', backend, ...train]);
    expect(trained).toMatchObject({ runtime: { backend } });
    model[backend] = (trained.artifact as { dir: string }).dir;
    const map = await ok(BuildPerfmap, ['--data', data, '--models', model[backend] as string, '--category', 'widget', '--out', out, '--backend', backend, '--threads', '1']);
    perfmap[backend] = (map.artifact as { dir: string }).dir;
    const inferred = await ok(Infer, ['--perfmap', perfmap[backend] as string, '--input', join(data, 'widget', 'test'), '--category', 'widget', '--engine', 'tfjs', '--out', join(out, 'pred'), '--backend', backend, '--threads', '1', '--batch-size', '2']);
    expect(inferred).toMatchObject({ images: { predicted: 4 } });
  });

  it('image scores agree: trained on each backend, and the same model scored on each', async () => {
    const trained = relDiff(await scores(join(tmp.path, 'webgpu', 'pred')), await scores(join(tmp.path, 'wasm', 'pred')));
    // The wasm-trained map scored on webgpu: inference alone.
    await ok(Infer, ['--perfmap', perfmap.wasm as string, '--input', join(data, 'widget', 'test'), '--category', 'widget', '--engine', 'tfjs', '--out', join(tmp.path, 'cross'), '--backend', 'webgpu', '--batch-size', '3']);
    const scored = relDiff(await scores(join(tmp.path, 'cross')), await scores(join(tmp.path, 'wasm', 'pred')));
    process.stderr.write(`train-sfad -> infer, webgpu vs wasm: trained on each ${trained.toExponential(1)}, same model scored on each ${scored.toExponential(1)}\n`);
    expect(trained).toBeLessThanOrEqual(TRAINED_TOL);
    expect(scored).toBeLessThanOrEqual(SCORED_TOL);
  });

  it('export runs its tfjs side on webgpu too (the parity check against onnxruntime passes)', async () => {
    const exported = await ok(Export, ['--model', model.webgpu as string, '--backend', 'webgpu', '--parity-images', '2']);
    expect(exported).toMatchObject({ parity: { passed: true, tfjsBackend: 'webgpu' } });
  });

  it('infer --engine onnx --execution-provider webgpu matches the cpu provider, and says it ran on webgpu', async () => {
    await ok(Export, ['--model', model.wasm as string, '--backend', 'wasm', '--threads', '1', '--parity-images', '2']);
    const run = async (provider: string): Promise<Record<string, unknown>> =>
      ok(Infer, ['--perfmap', perfmap.wasm as string, '--input', join(data, 'widget', 'test'), '--category', 'widget', '--engine', 'onnx', '--execution-provider', provider, '--out', join(tmp.path, `ort-${provider}`), '--threads', '1']);
    const gpu = await run('webgpu');
    await run('cpu');
    expect((gpu.engine as { loaded: { engine: string; executionProviders?: string[] }[] }).loaded[0]).toMatchObject({ engine: 'onnx', executionProviders: ['webgpu', 'cpu'] });
    const diff = relDiff(await scores(join(tmp.path, 'ort-webgpu')), await scores(join(tmp.path, 'ort-cpu')));
    process.stderr.write(`onnxruntime webgpu vs cpu provider: ${diff.toExponential(1)}\n`);
    expect(diff).toBeLessThanOrEqual(SCORED_TOL);
  });
});
