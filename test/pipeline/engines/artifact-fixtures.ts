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

/** Each network's topology and weights under its name, as an artifact's `models`. */
async function networks(nets: Record<string, tf.LayersModel>): Promise<Record<string, Awaited<ReturnType<typeof modelArtifactsOf>>>> {
  const out: Record<string, Awaited<ReturnType<typeof modelArtifactsOf>>> = {};
  for (const [name, net] of Object.entries(nets)) out[name] = await modelArtifactsOf(net);
  return out;
}

/** Writes the artifact `write` makes, then disposes the model it was made from, whether or not the write succeeds. */
async function writeThenDispose(write: () => Promise<ArtifactRef>, dispose: () => void): Promise<ArtifactRef> {
  try {
    return await write();
  } finally {
    dispose();
  }
}

/** `categories`: the classifier's classes (default BGA, QFN, SOT). */
export async function writeTinyArtifact(root: string, kind: FixtureKind, category = 'QFN', seed = 1, categories = ['BGA', 'QFN', 'SOT']): Promise<ArtifactRef> {
  const common = { root, kind, seed, metrics: { note: 'fixture' } };
  if (kind === 'srad') {
    const cfg = sradPreset('tiny', { seed });
    const m = buildSrad(cfg);
    randomizeBatchNorm(m.reconstructive, seed);
    randomizeBatchNorm(m.discriminative, seed + 1);
    const nets = { reconstructive: m.reconstructive, discriminative: m.discriminative };
    return writeThenDispose(async () => writeArtifact({ ...common, category, config: { model: cfg }, models: await networks(nets), files: THRESHOLDS }), () => disposeSrad(m));
  }
  if (kind === 'sfad') {
    const cfg = sfadPreset('tiny');
    const m = buildSfad(cfg, { seed });
    randomizeBatchNorm(m.backbone, seed);
    randomizeBatchNorm(m.discriminator, seed + 1);
    const nets = { extractor: m.extractor, adaptor: m.adaptor, discriminator: m.discriminator };
    return writeThenDispose(async () => writeArtifact({ ...common, category, config: { model: cfg }, models: await networks(nets), files: THRESHOLDS }), () => disposeSfad(m));
  }
  if (kind === 'lpd') {
    const cfg = lpdPreset('tiny');
    const lpd = buildLpd(cfg, { seed });
    randomizeBatchNorm(lpd.model, seed);
    return writeThenDispose(async () => {
      const fit = await parityInputs({ size: cfg.imageSize, count: 6, seed: 11, categories: [category] });
      const batch = tf.tensor4d(Float32Array.from(fit.images.flatMap((i) => Array.from(i))), [fit.images.length, cfg.imageSize, cfg.imageSize, 3]);
      const gde = await lpdGdeFit([lpdEmbeddings(lpd.extractor, batch, cfg)], { shrinkage: cfg.gdeShrinkage, epsilon: cfg.gdeEpsilon });
      batch.dispose();
      const files = { ...THRESHOLDS, [LPD_GDE_FILE]: writeSafetensors(gdeToTensors(gde)) };
      return writeArtifact({ ...common, category, config: { model: cfg, backbone: cfg.backbone, scoring: 'gde' }, models: await networks({ model: lpd.model }), files });
    }, () => disposeLpd(lpd));
  }
  const cfg = classifierPreset('tiny', { seed });
  const model = buildClassifier(cfg, categories.length);
  randomizeBatchNorm(model, seed);
  return writeThenDispose(async () => writeArtifact({ ...common, category: 'all', config: { model: cfg, categories }, models: await networks({ model }) }), () => model.dispose());
}
