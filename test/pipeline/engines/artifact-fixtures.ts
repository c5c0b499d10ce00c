// Tiny artifacts of every exportable kind written straight from the model builders (seeded weights, batch
// norm statistics randomised), laid out as the training commands write them, without training (fast tests).
import * as tf from '@tensorflow/tfjs';
import { classifierPreset } from '../../../src/models/classifier/config.js';
import { buildClassifier } from '../../../src/models/classifier/model.js';
import { lpdPreset } from '../../../src/pipeline/submodels/lpd/model/config.js';
import { gdeToTensors, lpdGdeFit } from '../../../src/pipeline/submodels/lpd/model/gde.js';
import { buildLpd, disposeLpd, lpdEmbeddings } from '../../../src/pipeline/submodels/lpd/model/model.js';
import { sfadPreset } from '../../../src/pipeline/submodels/sfad/model/config.js';
import { buildSfad, disposeSfad } from '../../../src/pipeline/submodels/sfad/model/model.js';
import { sradPreset } from '../../../src/pipeline/submodels/srad/model/config.js';
import { buildSrad, disposeSrad } from '../../../src/pipeline/submodels/srad/model/model.js';
import { modelArtifactsOf, writeArtifact, type ArtifactRef } from '../../../src/pipeline/artifacts/index.js';
import { LPD_GDE_FILE } from '../../../src/pipeline/submodels/lpd/detector.js';
import { parityInputs } from '../../../src/pipeline/export/parity.js';
import { writeSafetensors } from '../../../src/pipeline/weights/safetensors.js';
import { randomizeBatchNorm } from '../export/onnx-test-helpers.js';

export type FixtureKind = 'srad' | 'sfad' | 'lpd' | 'classifier';

const THRESHOLDS = { 'thresholds.json': '{"threshold": 0.5}\n' };

/** `categories`: the classifier's classes (default BGA, QFN, SOT). */
export async function writeTinyArtifact(root: string, kind: FixtureKind, category = 'QFN', seed = 1, categories = ['BGA', 'QFN', 'SOT']): Promise<ArtifactRef> {
  const common = { root, kind, seed, metrics: { note: 'fixture' } };
  if (kind === 'srad') {
    const cfg = sradPreset('tiny', { seed });
    const m = buildSrad(cfg);
    randomizeBatchNorm(m.reconstructive, seed);
    randomizeBatchNorm(m.discriminative, seed + 1);
    try {
      const models = { reconstructive: await modelArtifactsOf(m.reconstructive), discriminative: await modelArtifactsOf(m.discriminative) };
      return await writeArtifact({ ...common, category, config: { model: cfg }, models, files: THRESHOLDS });
    } finally {
      disposeSrad(m);
    }
  }
  if (kind === 'sfad') {
    const cfg = sfadPreset('tiny');
    const m = buildSfad(cfg, { seed });
    randomizeBatchNorm(m.backbone, seed);
    randomizeBatchNorm(m.discriminator, seed + 1);
    try {
      const models = { extractor: await modelArtifactsOf(m.extractor), adaptor: await modelArtifactsOf(m.adaptor), discriminator: await modelArtifactsOf(m.discriminator) };
      return await writeArtifact({ ...common, category, config: { model: cfg }, models, files: THRESHOLDS });
    } finally {
      disposeSfad(m);
    }
  }
  if (kind === 'lpd') {
    const cfg = lpdPreset('tiny');
    const lpd = buildLpd(cfg, { seed });
    randomizeBatchNorm(lpd.model, seed);
    try {
      const fit = await parityInputs({ size: cfg.imageSize, count: 6, seed: 11, categories: [category] });
      const batch = tf.tensor4d(Float32Array.from(fit.images.flatMap((i) => Array.from(i))), [fit.images.length, cfg.imageSize, cfg.imageSize, 3]);
      const gde = await lpdGdeFit([lpdEmbeddings(lpd.extractor, batch, cfg)], { shrinkage: cfg.gdeShrinkage, epsilon: cfg.gdeEpsilon });
      batch.dispose();
      return await writeArtifact({
        ...common,
        category,
        config: { model: cfg, backbone: cfg.backbone, scoring: 'gde' },
        models: { model: await modelArtifactsOf(lpd.model) },
        files: { ...THRESHOLDS, [LPD_GDE_FILE]: writeSafetensors(gdeToTensors(gde)) },
      });
    } finally {
      disposeLpd(lpd);
    }
  }
  const cfg = classifierPreset('tiny', { seed });
  const model = buildClassifier(cfg, categories.length);
  randomizeBatchNorm(model, seed);
  try {
    return await writeArtifact({ ...common, category: 'all', config: { model: cfg, categories }, models: { model: await modelArtifactsOf(model) } });
  } finally {
    model.dispose();
  }
}
