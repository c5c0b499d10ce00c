// LPD behind the Detector contract: one backbone pass gives the head's P(patched) and the GDE patch embeddings
// (maps = smoothed Mahalanobis distances). From live networks (validation) or a train-lpd artifact. No training.
import * as tf from '@tensorflow/tfjs';
import { lpdAnomalyMap } from './model/anomaly-map.js';
import { validateLpdConfig, type LpdConfig } from './model/config.js';
import { gdeFromTensors, type GdeState } from './model/gde.js';
// Also registers the custom layers (seeded dropout, input normalisation) a saved model's topology names.
import './model/model.js';
import { aggregateFeatures } from '../../../models/components/feature-extractor-aggregation.js';
import { resolveFeatureLayer } from '../../../models/components/feature-extractor.js';
import { RESNET_STAGE_STRIDES, type ResNetStage } from '../../../models/components/resnet.js';
import { layersModelFrom, type LoadedArtifact } from '../../artifacts/index.js';
import { artifactModelConfig } from '../../detectors/artifact-networks.js';
import { MadenetError } from '../../core/errors.js';
import { readSafetensors } from '../../weights/safetensors.js';
import { detectorFrom, type Detector } from '../../detectors/detector.js';

export const LPD_KIND = 'lpd';
/** The GDE state saved next to the model (gdeToTensors names). */
export const LPD_GDE_FILE = 'gde.safetensors';

/** Image score: the head's P(patched), or the max of the GDE anomaly map. */
export type LpdScoring = 'head' | 'gde';
export const LPD_SCORINGS: readonly LpdScoring[] = ['head', 'gde'];
/**
 * The default: the GDE map's max beat the head's probability in image AUROC on the demo test splits (tiny, 64 px,
 * 12 runs: mean 0.882 vs 0.795; small, 128 px: 0.953 vs 0.832 and 0.969 vs 0.922); see submodels/lpd/train/README.md.
 */
export const DEFAULT_LPD_SCORING: LpdScoring = 'gde';

/**
 * What train-lpd stores in manifest.config: the LpdConfig under `model` (as the other submodels), its backbone
 * architecture again at the top (where `loadBackbone` reads it for `--backbone <lpd artifact>`), the scoring.
 */
export interface LpdArtifactConfig {
  model: LpdConfig;
  backbone: LpdConfig['backbone'];
  scoring: LpdScoring;
}

/**
 * [N,S,S,3] in [0,1] -> [P(patched) [N,1], one map per cfg.gdeLayers entry]: the saved model with the GDE layers
 * as extra outputs, sharing its layers (dispose the model it was made from, never this view).
 */
export function lpdInferenceModel(model: tf.LayersModel, gdeLayers: readonly string[]): tf.LayersModel {
  const maps = gdeLayers.map((name) => resolveFeatureLayer(model, name).output as tf.SymbolicTensor);
  return tf.model({ inputs: model.inputs, outputs: [model.outputs[0] as tf.SymbolicTensor, ...maps], name: `${model.name}_inference` });
}

/**
 * Wraps an LPD model and its fitted GDE as a Detector: maps are smoothed Mahalanobis distances [N,S,S] (>= 0),
 * scores the head's probability or the map's max. `ownsModel: false` leaves the model alive on dispose().
 */
export function lpdDetector(
  model: tf.LayersModel,
  gde: GdeState,
  cfg: LpdConfig,
  opts: { category: string; artifactDir: string | null; ownsModel: boolean; scoring: LpdScoring },
): Detector {
  const view = lpdInferenceModel(model, cfg.gdeLayers);
  const predict = (images: tf.Tensor4D) =>
    tf.tidy(() => {
      const [prob, ...layers] = view.apply(images, { training: false }) as tf.Tensor[];
      const embeddings = aggregateFeatures(layers as tf.Tensor4D[], { featureDim: cfg.gdeDim, patchSize: cfg.patchSize });
      const maps = lpdAnomalyMap(gde, embeddings, cfg.imageSize, cfg.smoothingSigma);
      const scores = opts.scoring === 'head' ? (prob as tf.Tensor).reshape([-1]) : tf.max(maps, [1, 2]);
      return { scores: scores as tf.Tensor1D, maps };
    });
  return detectorFrom('lpd', cfg.imageSize, opts, predict, () => {
    if (opts.ownsModel) model.dispose();
  });
}

export async function loadLpdDetector(artifact: LoadedArtifact): Promise<Detector> {
  const cfg = artifactModelConfig<LpdArtifactConfig['model']>(artifact, 'the LpdConfig train-lpd records', LPD_KIND);
  validateLpdConfig(cfg);
  const config = artifact.manifest.config as Partial<LpdArtifactConfig>;
  // train-lpd always records it; an artifact without it predates the choice, when the head was the score.
  const scoring = config.scoring ?? 'head';
  if (!LPD_SCORINGS.includes(scoring)) {
    throw new MadenetError('E_ARTIFACT', `Artifact ${artifact.dir} has config.scoring ${JSON.stringify(scoring)}; expected one of ${LPD_SCORINGS.join(', ')}.`);
  }
  const gde = gdeFromTensors(readSafetensors(await artifact.readFile(LPD_GDE_FILE), `${artifact.dir}/${LPD_GDE_FILE}`));
  const side = cfg.imageSize / Math.min(...cfg.gdeLayers.map((l) => RESNET_STAGE_STRIDES[l as ResNetStage]));
  if (gde.height !== side || gde.width !== side || gde.dim !== cfg.gdeDim) {
    throw new MadenetError(
      'E_ARTIFACT',
      `Artifact ${artifact.dir}: the GDE is fitted at [${gde.height},${gde.width},${gde.dim}]; expected [${side},${side},${cfg.gdeDim}] for config.model (imageSize ${cfg.imageSize}, gdeDim ${cfg.gdeDim}).`,
    );
  }
  const model = await layersModelFrom(await artifact.modelArtifacts('model'));
  try {
    return lpdDetector(model, gde, cfg, { category: artifact.manifest.category, artifactDir: artifact.dir, ownsModel: true, scoring });
  } catch (err) {
    model.dispose();
    throw err;
  }
}
