import { join } from 'node:path';
import TrainSrad from '../../src/commands/train-srad.js';
import { runCommand, runJson, type CommandRun } from '../helpers/run-command.js';
import { useTempDir } from '../helpers/temp-dir.js';
import { useTrainCommandFlags } from '../helpers/train-command.js';


const run = (argv: string[]): Promise<CommandRun> => runCommand(TrainSrad, argv);

describe('madenet train-srad', () => {
  const tmp = useTempDir('madenet-cmd-train-srad-');
  const common = useTrainCommandFlags(tmp, { size: 32, normals: 5, testNormals: 1, defects: 1 }, ['--preset', 'tiny']);

  it('prints one JSON result with the artifact, metrics, history, speed and runtime', async () => {
    const json = await runJson(TrainSrad, [...common, '--epochs', '1', '--batch-size', '2', '--lr', '1e-2', '--checkpoint-every', '0']);
    expect(json).toMatchObject({
      category: 'widget',
      preset: 'tiny',
      imageSize: 32,
      backbone: 'random',
      steps: 2,
      trainImages: 4,
      validation: { source: 'synthetic', normals: 1, defects: 2, selection: 'validation' },
      artifact: { version: 1, dir: expect.stringContaining(join('out', 'srad', 'widget', 'v0001')) },
      runtime: { backend: 'wasm' },
      checkpoints: null,
      resumedFrom: null,
    });
    expect(Object.keys(json.metrics as object).sort()).toEqual(['bestEpoch', 'imageAuroc', 'mapRange', 'objective', 'pixelAp', 'synthetic', 'threshold']);
    expect(json.epochs as unknown[]).toHaveLength(1);
    expect(json.imagesPerSecond as number).toBeGreaterThan(0);
    expect(json.seconds as number).toBeGreaterThan(0);
  });

  it('answers a bad number with E_USAGE in the JSON error and a non-zero exit', async () => {
    const r = await run([...common, '--lr', 'fast', '--json']);
    expect(r.exitCode).not.toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ error: { code: 'E_USAGE', message: expect.stringContaining('--lr') } });
  });
});
