import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { extractFeatures, buildFeatureExtractor } from '../../../../src/models/components/feature-extractor.js';
import { layersModelFrom, loadArtifact } from '../../../../src/pipeline/artifacts/index.js';
import { loadDetector } from '../../../../src/pipeline/detectors/registry.js';
import { trainLpd, type TrainLpdOptions } from '../../../../src/pipeline/services/train-lpd.js';
import { trainSfad } from '../../../../src/pipeline/services/train-sfad.js';
import { readSafetensors } from '../../../../src/pipeline/weights/safetensors.js';
import { expectSameCheckpointFiles, failure, interruptAndResume, useTrainingData, resumeFromNanCheckpoint } from '../../../helpers/training-run.js';
import { useTempDir } from '../../../helpers/temp-dir.js';
import { useBackend } from '../../../helpers/backends.js';
import { expectNoLeakAsync } from '../../../helpers/tensor-leaks.js';

describe('trainLpd (tiny preset, 32 px, wasm)', () => {
  const tmp = useTempDir('madenet-train-lpd-');
  useBackend('wasm');
  // 7 normals: 1 held out, 6 to train on (3 steps of 2 normals + 2 CutPaste copies per epoch).
  const base = useTrainingData<Omit<TrainLpdOptions, 'out'>>(tmp, { size: 32, normals: 7, testNormals: 2, defects: 2 }, (data) => ({ data, category: 'widget', preset: 'tiny', imageSize: 32, epochs: 3, batchSize: 4, lr: 0.05, seed: 5, backend: 'wasm', threads: 1 }));

  it('lowers the loss, fits the GDE on the train normals and saves a loadable artifact with image-size maps', async () => {
    const r = await expectNoLeakAsync(() => trainLpd({ ...base, out: join(tmp.path, 'a'), checkpointEvery: 0 }));
    expect(r.steps).toBe(9);
    expect(r.epochs[2]!.meanLoss).toBeLessThan(r.epochs[0]!.meanLoss);
    expect(r.trainImages).toBe(6);
    expect(r.validation).toEqual({ source: 'synthetic', normals: 1, defects: 2 });
    // Every step patched its 2 normals once; the gate's counts are reported.
    expect(r.cutPaste).toMatchObject({ patched: 18, variant: 'normal', gate: true });
    expect(r.cutPaste.rejections).toBeGreaterThanOrEqual(r.cutPaste.keptUnaccepted);
    expect(r.gde).toEqual({ images: 6, height: 8, width: 8, dim: 32 });
    expect(r.scoring).toBe('gde');

    const artifact = await loadArtifact(join(tmp.path, 'a', 'lpd', 'widget'));
    const cfg = artifact.manifest.config as { backbone: string; model: { backbone: string; imageSize: number }; scoring: string };
    expect(cfg.backbone).toBe('resnet_tiny');
    expect(cfg.model).toMatchObject({ backbone: 'resnet_tiny', imageSize: 32 });
    expect(artifact.manifest.models).toEqual(['model']);
    const gde = readSafetensors(await artifact.readFile('gde.safetensors'));
    expect(gde.get('gde.mean')?.shape).toEqual([8, 8, 32]);
    expect(gde.get('gde.count')?.data[0]).toBe(6);

    const detector = await loadDetector(r.artifact.dir);
    expect(detector.kind).toBe('lpd');
    const start = tf.memory().numTensors;
    const [scores, maps] = tf.tidy(() => {
      const o = detector.predict(tf.randomUniform([3, 32, 32, 3], 0, 1, 'float32', 7) as tf.Tensor4D);
      return [o.scores, o.maps];
    });
    expect(scores!.shape).toEqual([3]);
    expect(maps!.shape).toEqual([3, 32, 32]);
    // GDE scoring: each score is the max of its map of (smoothed) Mahalanobis distances.
    const m = await maps!.data();
    expect(Math.min(...m)).toBeGreaterThanOrEqual(0);
    const s = await scores!.data();
    s.forEach((v, i) => expect(v).toBeCloseTo(Math.max(...m.subarray(i * 1024, (i + 1) * 1024)), 5));
    tf.dispose([scores!, maps!]);
    expect(tf.memory().numTensors).toBe(start);
    detector.dispose();
  });

  it('exports a backbone that train-sfad loads (recording the parent) with identical features', async () => {
    const lpd = await trainLpd({ ...base, epochs: 1, out: join(tmp.path, 't'), checkpointEvery: 0 });
    const sfad = await trainSfad({ data: base.data, category: 'widget', preset: 'tiny', imageSize: 32, epochs: 1, batchSize: 2, seed: 1, backend: 'wasm', threads: 1, out: join(tmp.path, 't'), backbone: join(tmp.path, 't', 'lpd', 'widget'), checkpointEvery: 0 });
    expect(sfad.backboneArch).toBe('resnet_tiny');
    expect(sfad.backboneParent).toMatchObject({ kind: 'lpd', category: 'widget', version: 1 });
    const sfadArtifact = await loadArtifact(sfad.artifact.dir);
    expect(sfadArtifact.manifest.parents).toEqual([{ kind: 'lpd', category: 'widget', version: 1 }]);
    expect((sfadArtifact.manifest.config as { training: { backbone: string } }).training.backbone).toBe(join(tmp.path, 't', 'lpd', 'widget'));

    const lpdModel = await layersModelFrom(await (await loadArtifact(lpd.artifact.dir)).modelArtifacts('model'));
    const sfadExtractor = await layersModelFrom(await sfadArtifact.modelArtifacts('extractor'));
    const lpdExtractor = buildFeatureExtractor(lpdModel, ['layer2', 'layer3']);
    const x = tf.randomUniform([2, 32, 32, 3], 0, 1, 'float32', 3) as tf.Tensor4D;
    const a = extractFeatures(lpdExtractor, x);
    const b = extractFeatures(sfadExtractor, x);
    expect(b.map((t) => t.shape)).toEqual(a.map((t) => t.shape));
    for (let i = 0; i < a.length; i++) expect(Array.from(await b[i]!.data())).toEqual(Array.from(await a[i]!.data()));
    tf.dispose([x, ...a, ...b]);
    lpdModel.dispose();
    sfadExtractor.dispose();
  });

  it('resumes from the checkpoint step and ends exactly where an uninterrupted run ends', async () => {
    const opts = { ...base, epochs: 2, checkpointEvery: 1 };
    const { straight, resumed } = await interruptAndResume(trainLpd, opts, tmp.path, 4);
    expect(resumed.resumedFrom?.step).toBe(4);
    expect(resumed.steps).toBe(6);
    expect(resumed.epochs.map((e) => e.validation)).toEqual(straight.epochs.map((e) => e.validation));
    await expectSameCheckpointFiles(join(tmp.path, 'straight'), join(tmp.path, 'cut'), 'lpd', 'widget', ['weights.bin', 'optimizer.bin']);
    for (const f of ['weights.bin', 'gde.safetensors']) {
      expect(Buffer.compare(await readFile(join(straight.artifact.dir, f)), await readFile(join(resumed.artifact.dir, f)))).toBe(0);
    }
  });

  it('stops with E_DIVERGED when a step makes the loss non-finite, naming the checkpoints', async () => {
    const opts = { ...base, epochs: 2, checkpointEvery: 1, out: join(tmp.path, 'nan') };
    const { err, leaked } = await resumeFromNanCheckpoint(trainLpd, opts, { kind: 'lpd', category: 'widget', file: 'weights.bin' }, 2);
    expect(leaked).toBe(0);
    expect(err.code).toBe('E_DIVERGED');
    expect(err.suggestions?.join(' ')).toContain(join(tmp.path, 'nan', 'checkpoints', 'lpd', 'widget'));
  });

  it('refuses an odd batch, an unknown variant and a bad score before any work', async () => {
    expect((await failure(trainLpd({ ...base, batchSize: 3, out: join(tmp.path, 'x') }))).code).toBe('E_USAGE');
    expect((await failure(trainLpd({ ...base, variant: 'stripe' as never, out: join(tmp.path, 'x') }))).code).toBe('E_USAGE');
    expect((await failure(trainLpd({ ...base, scoring: 'max' as never, out: join(tmp.path, 'x') }))).code).toBe('E_USAGE');
  });
});
