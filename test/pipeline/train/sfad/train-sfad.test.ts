import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { loadArtifact } from '../../../../src/pipeline/artifacts/index.js';
import { trainSfad, type TrainSfadOptions } from '../../../../src/pipeline/services/train-sfad.js';
import { loadDetector } from '../../../../src/pipeline/detectors/registry.js';
import { loadDataset } from '../../../../src/pipeline/io/dataset.js';
import { planValidation } from '../../../../src/pipeline/perfmap/validation-set.js';
import { TextureBank } from '../../../../src/pipeline/synth/texture-bank.js';
import { validateDetector } from '../../../../src/pipeline/train/train-detector-validation.js';
import { expectDetectorPredicts, failure, useTrainingData, expectExactResume, resumeFromNanCheckpoint } from '../../../helpers/training-run.js';
import { useTempDir } from '../../../helpers/temp-dir.js';
import { useBackend } from '../../../helpers/backends.js';
import { expectNoLeakAsync } from '../../../helpers/tensor-leaks.js';

describe('trainSfad (tiny preset, 32 px, wasm)', () => {
  const tmp = useTempDir('madenet-train-sfad-');
  useBackend('wasm');
  // 7 normals: 1 held out (validation with 2 synthetic defects), 6 to train on (3 steps of 2 per epoch).
  const base = useTrainingData<Omit<TrainSfadOptions, 'out'>>(tmp, { size: 32, normals: 7, testNormals: 2, defects: 2 }, (data) => ({ data, category: 'widget', preset: 'tiny', imageSize: 32, epochs: 3, batchSize: 2, lr: 2e-3, seed: 3, backend: 'wasm', threads: 1 }));

  it('lowers the loss, validates on held-out train normals only and saves a loadable artifact', async () => {
    const r = await expectNoLeakAsync(() => trainSfad({ ...base, out: join(tmp.path, 'a'), checkpointEvery: 0 }));
    expect(r.steps).toBe(9);
    expect(r.epochs).toHaveLength(3);
    expect(r.epochs[2]!.meanLoss).toBeLessThan(r.epochs[0]!.meanLoss);
    expect(r.epochs[0]!.losses).toHaveProperty('trueLoss');
    expect(r.trainImages + r.validation.normals).toBe(7);
    expect(r.validation).toEqual({ source: 'synthetic', normals: 1, defects: 2 });
    expect(r.featuresBanked).toBe(true);
    expect(r.backboneParent).toBeNull();
    expect(r.runtime.backend).toBe('wasm');

    const artifact = await loadArtifact(join(tmp.path, 'a', 'sfad', 'widget'));
    expect(artifact.dir).toBe(r.artifact.dir);
    const cfg = artifact.manifest.config as { model: { imageSize: number; preset: string; lrAdaptor: number; lrDiscriminator: number }; training: { backbone: string } };
    expect(cfg.model).toMatchObject({ imageSize: 32, preset: 'tiny', lrDiscriminator: 2e-3, lrAdaptor: 1e-3 });
    expect(cfg.training.backbone).toBe('random');
    expect(artifact.manifest.seed).toBe(3);
    expect(artifact.manifest.parents).toEqual([]);
    expect(artifact.manifest.models).toEqual(['adaptor', 'discriminator', 'extractor']);
    const thresholds = JSON.parse((await artifact.readFile('thresholds.json')).toString('utf8')) as { image: { threshold: number } };
    expect(thresholds.image.threshold).toBe(r.metrics.threshold.threshold);

    await expectDetectorPredicts(r.artifact.dir, 'sfad');
  });

  it('gives the same features with and without the feature bank', async () => {
    const banked = await trainSfad({ ...base, epochs: 1, out: join(tmp.path, 'bank'), checkpointEvery: 0 });
    const streamed = await trainSfad({ ...base, epochs: 1, out: join(tmp.path, 'stream'), checkpointEvery: 0, featureBudgetBytes: 0 });
    expect(streamed.featuresBanked).toBe(false);
    expect(streamed.epochs[0]!.meanLoss).toBeCloseTo(banked.epochs[0]!.meanLoss, 5);
  });

  it('standardises the features: the saved adaptor (statistics folded in) reproduces what training validated', async () => {
    const r = await expectNoLeakAsync(() => trainSfad({ ...base, standardize: true, noiseStd: 0.2, epochs: 2, out: join(tmp.path, 'std'), checkpointEvery: 0 }));
    const artifact = await loadArtifact(r.artifact.dir);
    expect((artifact.manifest.config as { model: { standardize: boolean } }).model.standardize).toBe(true);
    // The artifact is an ordinary SFAD: raw features in, so re-measuring it on the run's validation plan must give
    // the best epoch's figures exactly.
    const detector = await loadDetector(r.artifact.dir);
    const dataset = await loadDataset(base.data, { categories: ['widget'] });
    const plan = planValidation(dataset, 'widget', { valFraction: 0.2, seed: base.seed });
    const v = await validateDetector(detector, plan, { textures: await TextureBank.forRun(undefined, 32, base.seed), batchSize: 8 });
    detector.dispose();
    expect(v.validation.metrics).toMatchObject({ imageAuroc: r.metrics.imageAuroc, threshold: expect.closeTo(r.metrics.threshold.threshold, 4) });
    expect(v.validation.metrics.pixelAp).toBeCloseTo(r.metrics.pixelAp!, 5);
    // Streamed features are standardised with the same statistics (here all 6 training images).
    const streamed = await trainSfad({ ...base, standardize: true, noiseStd: 0.2, epochs: 2, out: join(tmp.path, 'std-stream'), checkpointEvery: 0, featureBudgetBytes: 0 });
    expect(streamed.featuresBanked).toBe(false);
    expect(streamed.epochs[1]!.meanLoss).toBeCloseTo(r.epochs[1]!.meanLoss, 5);
    // Standardised features move the same network's loss: the option is not a no-op.
    const plain = await trainSfad({ ...base, standardize: false, noiseStd: 0.2, epochs: 2, out: join(tmp.path, 'std-off'), checkpointEvery: 0 });
    expect(Math.abs(plain.epochs[0]!.meanLoss - r.epochs[0]!.meanLoss)).toBeGreaterThan(1e-3);
  });

  it('caps the feature dim at the channels of the chosen layers, with a warning', async () => {
    // resnet_tiny: layer2 32 + layer3 64 channels; asking for 200 would only repeat channels.
    const r = await trainSfad({ ...base, featureDim: 200, epochs: 1, out: join(tmp.path, 'dim'), checkpointEvery: 0 });
    expect(r.warnings.join(' ')).toContain('Feature dim 200 exceeds the 96 channels of layer2 + layer3 in resnet_tiny; using 96');
    const artifact = await loadArtifact(r.artifact.dir);
    expect((artifact.manifest.config as { model: { featureDim: number } }).model.featureDim).toBe(96);
    const within = await trainSfad({ ...base, featureDim: 48, epochs: 1, out: join(tmp.path, 'dim48'), checkpointEvery: 0 });
    expect(within.warnings.join(' ')).not.toContain('Feature dim');
  });

  it('resumes from the checkpoint step and ends exactly where an uninterrupted run ends', async () => {
    const opts = { ...base, epochs: 2, checkpointEvery: 1 };
    const files = ['adaptor/weights.bin', 'discriminator/weights.bin', 'optimizer.bin'];
    await expectExactResume(trainSfad, opts, tmp.path, { kind: 'sfad', category: 'widget', stopAt: 4, steps: 6, checkpointFiles: files, artifactFile: 'discriminator/weights.bin' });

    const other = await failure(trainSfad({ ...opts, noiseStd: 0.05, out: join(tmp.path, 'cut'), resume: true }));
    expect(other.code).toBe('E_RESUME');
    expect(other.message).toContain('model.noiseStd');
  });

  it('stops with E_DIVERGED when a step makes the loss non-finite, naming the checkpoints', async () => {
    // SFAD's rates are capped at 1 by its config and its loss is bounded, so overflow is forced instead: the
    // checkpoint a resume starts from gets NaN adaptor weights (with its checksum updated to match).
    const opts = { ...base, epochs: 2, checkpointEvery: 1, out: join(tmp.path, 'nan') };
    const { err, leaked } = await resumeFromNanCheckpoint(trainSfad, opts, { kind: 'sfad', category: 'widget', file: 'adaptor/weights.bin' }, 3);
    expect(leaked).toBe(0);
    expect(err.code).toBe('E_DIVERGED');
    expect(err.message).toContain('step 3');
    expect(err.suggestions?.join(' ')).toContain(join(tmp.path, 'nan', 'checkpoints', 'sfad', 'widget'));
  });

  it('refuses bad options before any work', async () => {
    expect((await failure(trainSfad({ ...base, lr: -1, out: join(tmp.path, 'x') }))).code).toBe('E_USAGE');
    expect((await failure(trainSfad({ ...base, imageSize: 40, out: join(tmp.path, 'x') }))).code).toBe('E_CONFIG');
    expect((await failure(trainSfad({ ...base, layers: ['layer9'], out: join(tmp.path, 'x') }))).code).toBe('E_CONFIG');
    expect((await failure(trainSfad({ ...base, category: 'gizmo', out: join(tmp.path, 'x') }))).code).toBe('E_DATASET');
  });
});
