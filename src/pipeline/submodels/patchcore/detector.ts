// PatchCore behind the Detector contract: from live banks during training (validation) or from an artifact
// written by train-patchcore (frozen extractor + bank.npy [+ global-bank.npy]; PatchcoreConfig in config.model).
import * as tf from '@tensorflow/tfjs';
import { validatePatchcoreConfig, type PatchcoreConfig } from './model/config.js';
import { patchcorePredict, type PatchcoreBanks } from './model/model.js';
import type { ScoreNormalization } from './model/anomaly-map.js';
import { layersModelFrom, type LoadedArtifact } from '../../artifacts/index.js';
import { MadenetError } from '../../core/errors.js';
import { decodeNpy } from '../../io/npy.js';
import { detectorFrom, type Detector } from '../../detectors/detector.js';

export const PATCHCORE_KIND = 'patchcore';
export const PATCHCORE_BANK_FILE = 'bank.npy';
export const PATCHCORE_GLOBAL_BANK_FILE = 'global-bank.npy';

/** What train-patchcore stores in manifest.config (the rest describes how the bank was built). */
export interface PatchcoreArtifactConfig {
  model: PatchcoreConfig;
  /** Standardisation of the image-score terms (null: the score is the max patch distance). */
  normalization: ScoreNormalization | null;
}

/** Maps: smoothed patch kNN distances [N,S,S] (>= 0); scores: see patchcoreImageScore. */
export function patchcoreDetector(
  extractor: tf.LayersModel,
  banks: PatchcoreBanks,
  cfg: PatchcoreConfig,
  opts: { category: string; artifactDir: string | null; ownsModels: boolean },
): Detector {
  return detectorFrom('patchcore', cfg.imageSize, opts, (images) => patchcorePredict(extractor, banks, cfg, images), () => {
    if (!opts.ownsModels) return;
    extractor.dispose();
    banks.patches.dispose();
    banks.global?.dispose();
  });
}

async function bankFrom(artifact: LoadedArtifact, name: string): Promise<tf.Tensor2D> {
  const npy = decodeNpy(await artifact.readFile(name), `${artifact.dir}/${name}`);
  if (npy.shape.length !== 2) throw new MadenetError('E_ARTIFACT', `${artifact.dir}/${name} has shape [${npy.shape.join(', ')}]; expected a [rows, dim] matrix.`);
  return tf.tensor2d(npy.data, npy.shape as [number, number]);
}

export async function loadPatchcoreDetector(artifact: LoadedArtifact): Promise<Detector> {
  if (artifact.manifest.kind !== PATCHCORE_KIND) {
    throw new MadenetError('E_ARTIFACT', `Artifact ${artifact.dir} is of kind '${artifact.manifest.kind}'; expected '${PATCHCORE_KIND}'.`);
  }
  const config = artifact.manifest.config as Partial<PatchcoreArtifactConfig> | null;
  // An ensemble artifact (train-patchcore-ensemble) names member artifacts instead of holding a bank.
  if ((config as { ensemble?: unknown } | null)?.ensemble !== undefined) {
    return (await import('./ensemble-detector.js')).loadPatchcoreEnsemble(artifact, loadPatchcoreDetector);
  }
  const recorded = config?.model;
  if (!recorded || typeof recorded !== 'object') {
    throw new MadenetError('E_ARTIFACT', `Artifact ${artifact.dir} has no config.model; expected the PatchcoreConfig train-patchcore records.`);
  }
  // Artifacts written before positionWeight / scoreTopFraction existed: no position channels, max patch score.
  const cfg: PatchcoreConfig = { ...recorded, positionWeight: recorded.positionWeight ?? 0, scoreTopFraction: recorded.scoreTopFraction ?? 0 };
  validatePatchcoreConfig(cfg);
  const extractor = await layersModelFrom(await artifact.modelArtifacts('extractor'));
  const tensors: tf.Tensor[] = [];
  try {
    const patches = await bankFrom(artifact, PATCHCORE_BANK_FILE);
    tensors.push(patches);
    const global = cfg.globalLayer ? await bankFrom(artifact, PATCHCORE_GLOBAL_BANK_FILE) : null;
    if (global) tensors.push(global);
    const expected = cfg.layers.length + (cfg.globalLayer ? 1 : 0);
    if (extractor.outputs.length !== expected) {
      throw new MadenetError('E_ARTIFACT', `Artifact ${artifact.dir}: the extractor gives ${extractor.outputs.length} maps; expected ${expected} (${[...cfg.layers, ...(cfg.globalLayer ? [cfg.globalLayer] : [])].join(', ')}).`);
    }
    return patchcoreDetector(extractor, { patches, global, norm: config?.normalization ?? null }, cfg, { category: artifact.manifest.category, artifactDir: artifact.dir, ownsModels: true });
  } catch (err) {
    extractor.dispose();
    tf.dispose(tensors);
    throw err;
  }
}
