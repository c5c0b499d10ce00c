import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import TrainLpd from '../../src/commands/train-lpd.js';
import { loadDetector } from '../../src/pipeline/detectors/registry.js';
import { runCommand, runJson, type CommandRun } from '../helpers/run-command.js';
import { useTempDir } from '../helpers/temp-dir.js';
import { useTrainCommandFlags } from '../helpers/train-command.js';


const run = (argv: string[]): Promise<CommandRun> => runCommand(TrainLpd, argv);

describe('madenet train-lpd', () => {
  const tmp = useTempDir('madenet-cmd-train-lpd-');
  const common = useTrainCommandFlags(tmp, { size: 32, normals: 5, testNormals: 1, defects: 1 }, ['--preset', 'tiny', '--image-size', '32']);

  it('prints one JSON result with the artifact, metrics, CutPaste counts, GDE, speed and runtime', async () => {
    const json = await runJson(TrainLpd, [...common, '--epochs', '1', '--batch-size', '4', '--lr', '0.02', '--variant', 'scar', '--no-gate', '--score', 'head', '--checkpoint-every', '0']);
    expect(json).toMatchObject({
      category: 'widget',
      preset: 'tiny',
      imageSize: 32,
      backbone: 'random',
      backboneParent: null,
      scoring: 'head',
      steps: 2,
      trainImages: 4,
      cutPaste: { patched: 4, rejections: 0, keptUnaccepted: 0, variant: 'scar', gate: false },
      gde: { images: 4, height: 8, width: 8, dim: 32 },
      validation: { source: 'synthetic', normals: 1, defects: 2 },
      artifact: { version: 1, dir: expect.stringContaining(join('out', 'lpd', 'widget', 'v0001')) },
      runtime: { backend: 'wasm' },
      checkpoints: null,
      resumedFrom: null,
    });
    expect(Object.keys(json).sort()).toEqual(
      ['artifact', 'backbone', 'backboneParent', 'category', 'checkpoints', 'cutPaste', 'epochs', 'gde', 'imageSize', 'imagesPerSecond', 'metrics', 'preset', 'resumedFrom', 'runtime', 'scoring', 'seconds', 'steps', 'trainImages', 'validation', 'warnings'],
    );
    expect(Object.keys(json.metrics as object).sort()).toEqual(['bestEpoch', 'imageAuroc', 'mapRange', 'objective', 'pixelAp', 'threshold']);
    // --score head: the saved detector reports the head's P(patched).
    const detector = await loadDetector((json.artifact as { dir: string }).dir);
    const scores = tf.tidy(() => detector.predict(tf.randomUniform([3, 32, 32, 3], 0, 1, 'float32', 1) as tf.Tensor4D).scores);
    expect(Array.from(await scores.data()).every((v) => v > 0 && v < 1)).toBe(true);
    scores.dispose();
    detector.dispose();
  });

  it('prints a human summary without --json', async () => {
    const r = await run([...common, '--epochs', '1', '--batch-size', '4', '--checkpoint-every', '0']);
    expect(r.exitCode ?? 0).toBe(0);
    expect(r.stdout).toContain('Trained LPD (tiny, 32 px)');
    expect(r.stdout).toMatch(/CutPaste \(normal\): 4 images, the gate rejected \d+ draws/);
  });

  it('answers an odd batch with E_USAGE in the JSON error and a non-zero exit', async () => {
    const r = await run([...common, '--batch-size', '5', '--json']);
    expect(r.exitCode).not.toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ error: { code: 'E_USAGE', message: expect.stringContaining('--batch-size') } });
  });
});
