// train-patchcore --backbone A+B: one command writes both member artifacts and the ensemble (LATEST), --json reports
// all three, per-member flags apply in order; then every command that takes a model either runs the ensemble
// (evaluate --model, build-perfmap, infer) or refuses it with a coded error (export, finetune).
import { describe, expect, it } from '@jest/globals';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import BuildPerfmap from '../../src/commands/build-perfmap.js';
import Evaluate from '../../src/commands/evaluate.js';
import Export from '../../src/commands/export.js';
import Finetune from '../../src/commands/finetune.js';
import Infer from '../../src/commands/infer.js';
import TrainPatchcore from '../../src/commands/train-patchcore.js';
import { loadArtifact } from '../../src/pipeline/artifacts/index.js';
import { runCommand, runJson } from '../helpers/run-command.js';
import { useTempDir } from '../helpers/temp-dir.js';
import { useTrainCommandFlags } from '../helpers/train-command.js';

interface Member {
  backbone: string;
  layers: string[];
  featureDim: number;
  artifact: { version: number; dir: string };
  metrics: { imageAuroc: number };
}

describe('madenet train-patchcore with several backbones', () => {
  const tmp = useTempDir('madenet-cmd-patchcore-ens-');
  // Random ResNet-18s keep the test independent of the packaged networks; two seeds would give the same net, so
  // the members differ by layers and position channels.
  const common = useTrainCommandFlags(tmp, { size: 32, normals: 8, testNormals: 2, defects: 2 }, ['--image-size', '32', '--backbone', 'random+random', '--coreset-ratio', '0.25', '--feature-engine', 'tfjs']);
  const rt = ['--backend', 'wasm', '--threads', '1'];
  const latest = () => join(tmp.path, 'out', 'patchcore', 'widget');

  it('writes the members, then the ensemble as LATEST; --json reports both; per-member --layers and --position-weight', async () => {
    const json = (await runJson(TrainPatchcore, [...common, '--layers', 'layer1,layer2+layer2,layer3', '--position-weight', '16+0'])) as Record<string, unknown> & { members: Member[]; artifact: { version: number } };
    expect(json.members.map((m) => [m.backbone, m.layers, m.artifact.version])).toEqual([
      ['random', ['layer1', 'layer2'], 1],
      ['random', ['layer2', 'layer3'], 2],
    ]);
    // layer1 + layer2 channels + 2 position channels; layer2 + layer3 and none.
    expect(json.members.map((m) => m.featureDim)).toEqual([64 + 128 + 2, 128 + 256]);
    expect(json).toMatchObject({ backbone: 'random+random', layers: ['layer1', 'layer2', 'layer2', 'layer3'], artifact: { version: 3 }, validation: { source: 'synthetic' }, featureEngine: { used: 'tfjs' } });
    const a = await loadArtifact(latest());
    expect(a.manifest.version).toBe(3);
    expect(a.manifest.config).toMatchObject({ ensemble: { members: [{ dir: join('..', 'v0001') }, { dir: join('..', 'v0002') }] } });
  }, 300_000);

  it('refuses a per-member list of the wrong length, an empty member and an ensemble with --tile, with E_USAGE naming the value', async () => {
    const r = await runCommand(TrainPatchcore, [...common, '--position-weight', '16+0+4', '--json']);
    expect(r.exitCode).not.toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ error: { code: 'E_USAGE', message: expect.stringContaining("'16+0+4'") } });
    const e = await runCommand(TrainPatchcore, [...common.map((f) => (f === 'random+random' ? 'random+' : f)), '--json']);
    expect(JSON.parse(e.stdout)).toMatchObject({ error: { code: 'E_USAGE', message: expect.stringContaining("'random+'") } });
    // Tiling takes one backbone: an explicit ensemble with --tile is refused before anything is trained.
    const t = await runCommand(TrainPatchcore, [...common, '--tile', '16', '--json']);
    expect(JSON.parse(t.stdout)).toMatchObject({ error: { code: 'E_USAGE', message: expect.stringContaining("'random+random' with --tile 16") } });
  });

  it('evaluate --model, build-perfmap and infer run the ensemble; export and finetune refuse it with coded errors', async () => {
    const data = join(tmp.path, 'data');
    const ev = await runCommand(Evaluate, ['--model', latest(), '--data', data, '--out', join(tmp.path, 'eval'), ...rt, '--json']);
    expect([ev.error?.message, ev.exitCode ?? 0]).toEqual([undefined, 0]);
    const all = (JSON.parse(ev.stdout) as { rows: { defectType: string; images: number }[] }).rows.find((r) => r.defectType === 'all');
    expect(all?.images).toBe(4);

    const map = await runCommand(BuildPerfmap, ['--data', data, '--model', latest(), '--out', join(tmp.path, 'maps'), '--seed', '5', ...rt, '--json']);
    expect([map.error?.message, map.exitCode ?? 0]).toEqual([undefined, 0]);
    const mapDir = (JSON.parse(map.stdout) as { artifact: { dir: string } }).artifact.dir;
    const inf = await runCommand(Infer, ['--perfmap', mapDir, '--input', join(data, 'widget', 'test', '*', '*.png'), '--assume-category', 'widget', '--out', join(tmp.path, 'infer'), '--engine', 'auto', ...rt, '--json']);
    expect([inf.error?.message, inf.exitCode ?? 0]).toEqual([undefined, 0]);
    const lines = (await readFile(join(tmp.path, 'infer', 'predictions.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as { model?: string; score: number });
    expect(lines).toHaveLength(4);
    for (const l of lines) expect(Number.isFinite(l.score)).toBe(true);

    const ex = await runCommand(Export, ['--model', latest(), ...rt, '--json']);
    expect(ex.exitCode).not.toBe(0);
    expect(JSON.parse(ex.stdout)).toMatchObject({ error: { code: 'E_EXPORT', message: expect.stringContaining('PatchCore') } });
    const ft = await runCommand(Finetune, ['--model', latest(), '--data', data, '--json']);
    expect(ft.exitCode).not.toBe(0);
    expect(JSON.parse(ft.stdout)).toMatchObject({ error: { code: 'E_FINETUNE_UNSUPPORTED' } });
  }, 300_000);
});
