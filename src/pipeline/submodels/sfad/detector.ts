// SFAD behind the Detector contract: from live networks during training (validation) or from an artifact
// written by train-sfad (frozen feature extractor, adaptor, discriminator; SfadConfig in manifest.config.model).
import * as tf from '@tensorflow/tfjs';
import { sfadAnomalyMap, sfadImageScore } from './model/anomaly-map.js';
import { validateSfadConfig, type SfadConfig } from './model/config.js';
// Also registers the custom layers (input normalisation) that a saved extractor's topology names.
import { sfadFeatures, sfadPatchScores, type SfadModel } from './model/model.js';
import type { LoadedArtifact } from '../../artifacts/index.js';
import { artifactModelConfig, loadNetworks } from '../../detectors/artifact-networks.js';
import { MadenetError } from '../../core/errors.js';
import { detectorFrom, type Detector } from '../../detectors/detector.js';

export const SFAD_KIND = 'sfad';
/** The tfjs models an SFAD artifact holds: the backbone up to the last feature layer, and the two trained parts. */
export const SFAD_MODEL_NAMES = ['extractor', 'adaptor', 'discriminator'] as const;

export type SfadNetworks = Pick<SfadModel, 'extractor' | 'adaptor' | 'discriminator'>;

/** What train-sfad stores in manifest.config (the rest of it describes training, not inference). */
export interface SfadArtifactConfig {
  model: SfadConfig;
}

/**
 * Wraps SFAD networks as a Detector: maps are -D(adaptor(f)) upsampled and smoothed to [N,S,S] (unbounded,
 * higher = more anomalous), scores the max of each map. `ownsModels: false` leaves the networks alive on dispose().
 */
export function sfadDetector(
  nets: SfadNetworks,
  cfg: SfadConfig,
  opts: {
    category: string;
    artifactDir: string | null;
    ownsModels: boolean;
    /** The frozen features [N,h,w,D] of images (default sfadFeatures on nets.extractor); training passes a memo of it. */
    features?: (images: tf.Tensor4D) => tf.Tensor;
  },
): Detector {
  const predict = (images: tf.Tensor4D) =>
    tf.tidy(() => {
      const features = (opts.features ? opts.features(images) : sfadFeatures(nets.extractor, images, cfg)) as tf.Tensor4D;
      const maps = sfadAnomalyMap(sfadPatchScores(nets, features), cfg.imageSize, cfg.smoothingSigma);
      return { scores: sfadImageScore(maps), maps };
    });
  return detectorFrom('sfad', cfg.imageSize, opts, predict, () => {
    if (!opts.ownsModels) return;
    nets.adaptor.dispose();
    nets.discriminator.dispose();
    nets.extractor.dispose();
  });
}

export async function loadSfadDetector(artifact: LoadedArtifact): Promise<Detector> {
  const cfg = artifactModelConfig<SfadArtifactConfig['model']>(artifact, 'the SfadConfig train-sfad records', SFAD_KIND);
  validateSfadConfig(cfg);
  const loaded = await loadNetworks(artifact, SFAD_MODEL_NAMES);
  const [extractor, adaptor, discriminator] = loaded as [tf.LayersModel, tf.LayersModel, tf.LayersModel];
  const width = adaptor.inputs[0]?.shape[1];
  if (extractor.outputs.length !== cfg.layers.length || width !== cfg.featureDim) {
    loaded.forEach((m) => m.dispose());
    throw new MadenetError(
      'E_ARTIFACT',
      `Artifact ${artifact.dir}: the extractor gives ${extractor.outputs.length} maps and the adaptor takes ${String(width)} channels; expected ${cfg.layers.length} (${cfg.layers.join(', ')}) and config.model.featureDim ${cfg.featureDim}.`,
    );
  }
  return sfadDetector({ extractor, adaptor, discriminator }, cfg, { category: artifact.manifest.category, artifactDir: artifact.dir, ownsModels: true });
}
