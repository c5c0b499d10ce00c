import { join } from 'node:path';
import Finetune from '../../src/commands/finetune.js';
import { trainSfad } from '../../src/pipeline/services/train-sfad.js';
import { makeTinyDataset } from '../helpers/tiny-dataset.js';
import { runCommand, runJson, type CommandRun } from '../helpers/run-command.js';
import { useTempDir } from '../helpers/temp-dir.js';


const run = (argv: string[]): Promise<CommandRun> => runCommand(Finetune, argv);

describe('madenet finetune', () => {
  const tmp = useTempDir('madenet-cmd-finetune-');
  let parent: string;
  let common: string[];
  beforeAll(async () => {
    await makeTinyDataset(join(tmp.path, 'data'), { size: 32, normals: 6, testNormals: 1, defects: 1, trainDefects: 4 });
    await makeTinyDataset(join(tmp.path, 'plain'), { size: 32, normals: 4, testNormals: 1, defects: 1 });
    const trained = await trainSfad({ data: join(tmp.path, 'data'), category: 'widget', out: join(tmp.path, 'out'), preset: 'tiny', imageSize: 32, epochs: 1, batchSize: 2, seed: 5, backend: 'wasm', threads: 1, checkpointEvery: 0 });
    parent = trained.artifact.dir;
    common = ['--model', parent, '--backend', 'wasm', '--threads', '1', '--checkpoint-every', '0'];
  });

  it('prints one JSON result with the new artifact, its parent and the before/after metrics', async () => {
    const json = await runJson(Finetune, [...common, '--data', join(tmp.path, 'data'), '--epochs', '1', '--real-ratio', '1', '--lr', '1e-4']);
    expect(json).toMatchObject({
      kind: 'sfad',
      category: 'widget',
      imageSize: 32,
      artifact: { version: 2, dir: join(tmp.path, 'out', 'sfad', 'widget', 'v0002') },
      parent: { kind: 'sfad', category: 'widget', version: 1, dir: parent },
      settings: { epochs: 1, lr: 1e-4, realRatio: 1, valFraction: 0.2, seed: 5 },
      data: { trainNormals: 5, trainDefects: 3, validationNormals: 1, validationDefects: 1, unmaskedSkipped: 0 },
      runtime: { backend: 'wasm' },
      resumedFrom: null,
      checkpoints: null,
    });
    expect(Object.keys(json).sort()).toEqual(
      ['artifact', 'category', 'checkpoints', 'composition', 'data', 'epochs', 'imageSize', 'imagesPerSecond', 'kind', 'metrics', 'parent', 'resumedFrom', 'runtime', 'seconds', 'settings', 'steps', 'warnings'],
    );
    expect(Object.keys(json.metrics as object).sort()).toEqual(['after', 'before', 'delta']);
  });

  it('prints a human summary without --json', async () => {
    const r = await run([...common, '--data', join(tmp.path, 'data'), '--epochs', '1', '--out', join(tmp.path, 'other')]);
    expect(r.exitCode ?? 0).toBe(0);
    expect(r.stdout).toContain('Fine-tuned SFAD widget v1 on 5 normals and 3 real defects');
    expect(r.stdout).toMatch(/before {2}image AUROC \S+ {2}Pixel-AP \d\.\d{4}/);
    expect(r.stdout).toContain(join(tmp.path, 'other', 'sfad', 'widget', 'v0001'));
  });

  it('answers a dataset without real defects with E_NO_DEFECTS in the JSON error and a non-zero exit', async () => {
    const r = await run([...common, '--data', join(tmp.path, 'plain'), '--json']);
    expect(r.exitCode).not.toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ error: { code: 'E_NO_DEFECTS', message: expect.stringContaining('widget'), suggestions: expect.arrayContaining([expect.stringContaining('ground_truth')]) } });
  });

  it('answers a bad --real-ratio with E_USAGE', async () => {
    const r = await run([...common, '--data', join(tmp.path, 'data'), '--real-ratio', 'lots', '--json']);
    expect(JSON.parse(r.stdout)).toMatchObject({ error: { code: 'E_USAGE', message: expect.stringContaining('--real-ratio') } });
  });
});
