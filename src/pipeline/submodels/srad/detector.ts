// SRAD behind the Detector contract: from live models during training (validation) or from an artifact
// written by train-srad (the two tfjs models plus the SradConfig in manifest.config.model). No training.
import * as tf from '@tensorflow/tfjs';
import type { LoadedArtifact } from '../../artifacts/index.js';
import { artifactModelConfig, loadNetworks } from '../../detectors/artifact-networks.js';
import { MadenetError } from '../../core/errors.js';
import { validateSradConfig, type SradConfig } from './model/config.js';
import { disposeSrad, type SradModels } from './model/model.js';
import { sradPredict } from './model/predict.js';
import { detectorFrom, type Detector } from '../../detectors/detector.js';

export const SRAD_KIND = 'srad';
export const SRAD_MODEL_NAMES = ['reconstructive', 'discriminative'] as const;

/** What train-srad stores in manifest.config (the rest of it describes training, not inference). */
export interface SradArtifactConfig {
  model: SradConfig;
}

/**
 * Wraps SRAD networks as a Detector: scores are the max of the mean-filtered map (cfg.scoreFilterSize) and maps
 * the anomaly probability [N,S,S] in [0,1]. `ownsModels: false` leaves the networks alive on dispose().
 */
export function sradDetector(
  models: SradModels,
  cfg: SradConfig,
  opts: { category: string; artifactDir: string | null; ownsModels: boolean },
): Detector {
  const predict = (images: tf.Tensor4D) =>
    tf.tidy(() => {
      // The reconstruction is not part of the contract; tidy frees it.
      const { map, score } = sradPredict(models, cfg, images);
      return { scores: score, maps: map };
    });
  return detectorFrom('srad', cfg.imageSize, opts, predict, () => {
    if (opts.ownsModels) disposeSrad(models);
  });
}

export async function loadSradDetector(artifact: LoadedArtifact): Promise<Detector> {
  const cfg = artifactModelConfig<SradArtifactConfig['model']>(artifact, 'the SradConfig train-srad records', SRAD_KIND);
  validateSradConfig(cfg);
  const [reconstructive, discriminative] = (await loadNetworks(artifact, SRAD_MODEL_NAMES)) as [tf.LayersModel, tf.LayersModel];
  const side = reconstructive.inputs[0]?.shape[1];
  if (side !== cfg.imageSize) {
    disposeSrad({ reconstructive, discriminative });
    throw new MadenetError('E_ARTIFACT', `Artifact ${artifact.dir}: the reconstructive network takes ${String(side)} px; expected config.model.imageSize ${cfg.imageSize}.`);
  }
  return sradDetector({ reconstructive, discriminative }, cfg, { category: artifact.manifest.category, artifactDir: artifact.dir, ownsModels: true });
}
