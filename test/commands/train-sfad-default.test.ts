/** @jest-environment ./test/pipeline/engines/ort-environment.cjs */
// `madenet train-sfad` without --backbone trains on the MobileNetV2 that the nsfwjs package ships (the default
// chosen on real photographs, bench/results/sfad-backbones.md) at 256 px, and the artifact goes on through
// finetune and export (onnxruntime in-process, hence the environment above).
import { join } from 'node:path';
import Export from '../../src/commands/export.js';
import Finetune from '../../src/commands/finetune.js';
import TrainSfad from '../../src/commands/train-sfad.js';
import { findPackage } from '../../src/pipeline/weights/npm-backbone.js';
import { makeTinyDataset } from '../helpers/tiny-dataset.js';
import { runCommand, runJson } from '../helpers/run-command.js';
import { useTempDir } from '../helpers/temp-dir.js';

// nsfwjs is a dependency; the guard only keeps a trimmed install from failing here.
(findPackage('nsfwjs') ? describe : describe.skip)('madenet train-sfad without --backbone', () => {
  const tmp = useTempDir('madenet-cmd-train-sfad-default-');

  it('trains on the packaged MobileNetV2 at 256 px, and finetune and export take the artifact', async () => {
    // Given a tiny dataset with a few real train defects (for finetune), and neither --backbone nor --image-size,
    await makeTinyDataset(join(tmp.path, 'data'), { size: 32, normals: 5, testNormals: 1, defects: 1, trainDefects: 2 });
    const rt = ['--backend', 'wasm', '--threads', '1', '--checkpoint-every', '0'];
    // When trained,
    const json = await runJson(TrainSfad, ['--data', join(tmp.path, 'data'), '--category', 'widget', '--out', join(tmp.path, 'out'), '--preset', 'tiny', '--epochs', '1', '--batch-size', '2', '--hidden', '8', ...rt]);
    // Then the backbone is the packaged network, recorded with its provenance, at the size it was measured at;
    expect(json).toMatchObject({ backbone: 'npm:nsfwjs/mobilenet_v2', imageSize: 256, provenance: { kind: 'npm', package: 'nsfwjs', license: 'MIT', net: 'mobilenet_v2' } });
    const dir = (json.artifact as { dir: string }).dir;
    // and the artifact fine-tunes (its extractor is read back from the artifact) and exports with passing parity.
    const tuned = await runJson(Finetune, ['--model', dir, '--data', join(tmp.path, 'data'), '--epochs', '1', ...rt]);
    expect(tuned).toMatchObject({ kind: 'sfad', imageSize: 256, parent: { dir } });
    const exported = await runCommand(Export, ['--model', dir, '--backend', 'wasm', '--threads', '1', '--parity-images', '2', '--json']);
    expect([exported.exitCode ?? 0, exported.stderr]).toEqual([0, '']);
    expect(JSON.parse(exported.stdout)).toMatchObject({ source: { kind: 'sfad', version: 1 }, parity: { passed: true } });
    // MobileNetV2 at 256 px through three commands: ~40 CPU s in jest, minutes of wall time on a loaded machine.
  }, 600_000);
});
