import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import Evaluate from '../../src/commands/evaluate.js';
import Finetune from '../../src/commands/finetune.js';
import TrainPatchcore from '../../src/commands/train-patchcore.js';
import WeightsList from '../../src/commands/weights/list.js';
import { loadArtifact } from '../../src/pipeline/artifacts/index.js';
import { runCommand, runJson } from '../helpers/run-command.js';
import { useTempDir } from '../helpers/temp-dir.js';
import { useTrainCommandFlags } from '../helpers/train-command.js';

describe('madenet train-patchcore', () => {
  const tmp = useTempDir('madenet-cmd-train-patchcore-');
  // A random ResNet-18 keeps the test independent of the packaged networks (those have their own test).
  const common = useTrainCommandFlags(tmp, { size: 32, normals: 6, testNormals: 3, defects: 3 }, ['--image-size', '32', '--backbone', 'random', '--layers', 'layer1,layer2']);

  it('builds a versioned bank (JSON result, manifest with backbone source), then evaluate --model and infer treat it like any submodel', async () => {
    const json = await runJson(TrainPatchcore, [...common, '--global-layer', 'layer3', '--coreset-ratio', '0.25', '--feature-cache', join(tmp.path, 'cache')]);
    expect(json).toMatchObject({
      category: 'widget',
      imageSize: 32,
      backbone: 'random',
      provenance: { kind: 'random', arch: 'resnet18', seed: 42 },
      layers: ['layer1', 'layer2'],
      globalLayer: 'layer3',
      trainImages: 5, // 6 normals, one held out for validation
      patchRows: 5 * 8 * 8,
      bankRows: 80,
      featureDim: 64 + 128 + 2, // layer1 + layer2 channels + the two position channels (positionWeight 128)
      validation: { source: 'synthetic', normals: 1, defects: 2 },
      featureCache: { hits: 0, misses: 6 },
      artifact: { version: 1, dir: expect.stringContaining(join('out', 'patchcore', 'widget', 'v0001')) },
    });
    const artifact = await loadArtifact(join(tmp.path, 'out', 'patchcore', 'widget'));
    expect(artifact.manifest.kind).toBe('patchcore');
    expect(artifact.manifest.config).toMatchObject({ backboneSource: { kind: 'random' }, model: { layers: ['layer1', 'layer2'], globalLayer: 'layer3' }, bank: { bankRows: 80 } });
    expect(Object.keys(artifact.manifest.files)).toEqual(expect.arrayContaining(['bank.npy', 'global-bank.npy', 'thresholds.json']));

    const again = await runCommand(TrainPatchcore, [...common, '--global-layer', 'layer3', '--coreset-ratio', '0.25', '--feature-cache', join(tmp.path, 'cache'), '--json']);
    const second = JSON.parse(again.stdout) as { featureCache: unknown; metrics: unknown; bankRows: number };
    expect(second.featureCache).toMatchObject({ hits: 6, misses: 0 });
    expect(second.metrics).toEqual(json.metrics); // the same features give the same bank and the same validation

    const ev = await runCommand(Evaluate, ['--model', join(tmp.path, 'out', 'patchcore', 'widget'), '--data', join(tmp.path, 'data'), '--out', join(tmp.path, 'eval'), '--backend', 'wasm', '--threads', '1', '--json']);
    expect(ev.exitCode ?? 0).toBe(0);
    const rows = (JSON.parse(ev.stdout) as { rows: { defectType: string; images: number; imageAuroc: number; pixelAuroc: number }[] }).rows;
    const all = rows.find((row) => row.defectType === 'all');
    expect(all?.images).toBe(6);
    expect(all?.imageAuroc).toBeGreaterThanOrEqual(0.5);
    const predictions = (await readFile(join(tmp.path, 'eval', 'predictions', 'predictions.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as { model: string });
    expect(new Set(predictions.map((p) => p.model))).toEqual(new Set(['patchcore']));
  }, 300_000);

  it('refuses fine-tuning with a coded error, and a bad coreset ratio with E_CONFIG', async () => {
    const ft = await runCommand(Finetune, ['--model', join(tmp.path, 'out', 'patchcore', 'widget'), '--data', join(tmp.path, 'data'), '--json']);
    expect(ft.exitCode).not.toBe(0);
    expect(JSON.parse(ft.stdout)).toMatchObject({ error: { code: 'E_FINETUNE_UNSUPPORTED' } });
    const bad = await runCommand(TrainPatchcore, [...common, '--coreset-ratio', '1.5', '--json']);
    expect(bad.exitCode).not.toBe(0);
    expect(JSON.parse(bad.stdout)).toMatchObject({ error: { code: 'E_CONFIG', message: expect.stringContaining('coresetRatio') } });
    // A coreset per tile place needs tiles: refused up front, naming the flag and what would do.
    const untiled = await runCommand(TrainPatchcore, [...common, '--coreset-scope', 'tile-place', '--json']);
    expect(untiled.exitCode).not.toBe(0);
    expect(JSON.parse(untiled.stdout)).toMatchObject({ error: { code: 'E_USAGE', message: expect.stringContaining('--coreset-scope tile-place needs --tile') } });
  });

  it('weights list --json names each packaged network with its source package and licence', async () => {
    const r = await runCommand(WeightsList, ['--json']);
    const list = (JSON.parse(r.stdout) as { backbones: { id: string; source: string }[] }).backbones;
    expect(list.find((b) => b.id === 'npm:nsfwjs/mobilenet_v2')?.source).toBe('npm package nsfwjs');
  });
});
