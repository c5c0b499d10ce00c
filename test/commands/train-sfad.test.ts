import { join } from 'node:path';
import TrainSfad from '../../src/commands/train-sfad.js';
import { runCommand, runJson, type CommandRun } from '../helpers/run-command.js';
import { useTempDir } from '../helpers/temp-dir.js';
import { useTrainCommandFlags } from '../helpers/train-command.js';


const run = (argv: string[]): Promise<CommandRun> => runCommand(TrainSfad, argv);

describe('madenet train-sfad', () => {
  const tmp = useTempDir('madenet-cmd-train-sfad-');
  // Random weights keep these runs fast; the packaged default has its own test (train-sfad-default.test.ts).
  const common = useTrainCommandFlags(tmp, { size: 32, normals: 5, testNormals: 1, defects: 1 }, ['--backbone', 'random', '--preset', 'tiny', '--image-size', '32']);

  it('prints one JSON result with the artifact, metrics, history, speed, lineage and runtime', async () => {
    const json = await runJson(TrainSfad, [...common, '--epochs', '1', '--batch-size', '2', '--lr', '1e-3', '--feature-dim', '48', '--noise-std', '0.02', '--hidden', '16', '--checkpoint-every', '0']);
    expect(json).toMatchObject({
      category: 'widget',
      preset: 'tiny',
      imageSize: 32,
      backbone: 'random',
      backboneArch: 'resnet_tiny',
      backboneParent: null,
      steps: 2,
      trainImages: 4,
      validation: { source: 'synthetic', normals: 1, defects: 2 },
      artifact: { version: 1, dir: expect.stringContaining(join('out', 'sfad', 'widget', 'v0001')) },
      runtime: { backend: 'wasm' },
      checkpoints: null,
      resumedFrom: null,
      featuresBanked: true,
      provenance: { kind: 'random', arch: 'resnet_tiny', seed: 42 },
      featureCache: null,
    });
    expect(Object.keys(json).sort()).toEqual(
      ['artifact', 'backbone', 'backboneArch', 'backboneParent', 'category', 'checkpoints', 'epochs', 'featureCache', 'featureEngine', 'featureSpread', 'featuresBanked', 'imageSize', 'imagesPerSecond', 'metrics', 'preset', 'provenance', 'resumedFrom', 'runtime', 'seconds', 'steps', 'trainImages', 'validation', 'validationFeatures', 'warnings'],
    );
    expect(Object.keys(json.metrics as object).sort()).toEqual(['bestEpoch', 'imageAuroc', 'mapRange', 'objective', 'pixelAp', 'threshold']);
    expect(json.epochs as unknown[]).toHaveLength(1);
    expect(json.imagesPerSecond as number).toBeGreaterThan(0);
  });

  it('prints a human summary without --json', async () => {
    const r = await run([...common, '--epochs', '1', '--batch-size', '2', '--checkpoint-every', '0']);
    expect(r.exitCode ?? 0).toBe(0);
    expect(r.stdout).toContain('Trained SFAD (tiny, 32 px, resnet_tiny (random))');
    expect(r.stdout).toMatch(/Saved .*sfad.widget.v0002/);
  });

  it('answers a bad number with E_USAGE and an unknown backbone with a JSON error', async () => {
    const lr = await run([...common, '--noise-std', 'loud', '--json']);
    expect(lr.exitCode).not.toBe(0);
    expect(JSON.parse(lr.stdout)).toMatchObject({ error: { code: 'E_USAGE', message: expect.stringContaining('--noise-std') } });
    const others = common.filter((a, i) => a !== '--backbone' && common[i - 1] !== '--backbone');
    const bb = await run([...others, '--backbone', join(tmp.path, 'nowhere'), '--json']);
    expect(bb.exitCode).not.toBe(0);
    expect(JSON.parse(bb.stdout)).toMatchObject({ error: { code: 'E_NOT_FOUND' } });
  });
});
