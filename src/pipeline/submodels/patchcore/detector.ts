// PatchCore behind the Detector contract: from live banks during training (validation) or from an artifact
// written by train-patchcore (frozen extractor + bank.npy [+ global-bank.npy]; PatchcoreConfig in config.model).
import * as tf from '@tensorflow/tfjs';
import { validatePatchcoreConfig, type PatchcoreConfig } from './model/config.js';
import { patchcorePredict, type PatchcoreBanks } from './model/model.js';
import { patchcoreOnnxDetector, patchcoreOnnxSessionDetector } from './onnx-detector.js';
import type { ScoreNormalization } from './model/anomaly-map.js';
import { layersModelFrom, type LoadedArtifact } from '../../artifacts/index.js';
import { MadenetError } from '../../core/errors.js';
import { decodeNpy } from '../../io/npy.js';
import { detectorFrom, type Detector } from '../../detectors/detector.js';
import { tfjsAsyncDetector, type AsyncDetector } from '../../engines/async-detector.js';
import type { FeatureEngineChoice, FeatureEngineUsed, OnnxBackboneMaps } from '../../features/onnx-features.js';

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

/** A single bank's parts, read and checked: its config, frozen extractor and bank(s) (the caller owns them). */
async function loadBankParts(artifact: LoadedArtifact): Promise<{ cfg: PatchcoreConfig; extractor: tf.LayersModel; banks: PatchcoreBanks }> {
  const config = artifact.manifest.config as Partial<PatchcoreArtifactConfig> | null;
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
    return { cfg, extractor, banks: { patches, global, norm: config?.normalization ?? null } };
  } catch (err) {
    extractor.dispose();
    tf.dispose(tensors);
    throw err;
  }
}

function checkKind(artifact: LoadedArtifact): void {
  if (artifact.manifest.kind !== PATCHCORE_KIND) {
    throw new MadenetError('E_ARTIFACT', `Artifact ${artifact.dir} is of kind '${artifact.manifest.kind}'; expected '${PATCHCORE_KIND}'.`);
  }
}

function isEnsembleArtifact(artifact: LoadedArtifact): boolean {
  // An ensemble artifact (train-patchcore-ensemble) names member artifacts instead of holding a bank.
  return (artifact.manifest.config as { ensemble?: unknown } | null)?.ensemble !== undefined;
}

export async function loadPatchcoreDetector(artifact: LoadedArtifact): Promise<Detector> {
  checkKind(artifact);
  if (isEnsembleArtifact(artifact)) return (await import('./ensemble-detector.js')).loadPatchcoreEnsemble(artifact, loadPatchcoreDetector);
  const { cfg, extractor, banks } = await loadBankParts(artifact);
  return patchcoreDetector(extractor, banks, cfg, { category: artifact.manifest.category, artifactDir: artifact.dir, ownsModels: true });
}

/** An async PatchCore detector and the engine its backbone(s) run on (with auto's reason when it fell back to tfjs). */
export type PatchcoreAsyncDetector = AsyncDetector & { readonly featureEngine: FeatureEngineUsed };

/**
 * The artifact (single bank or ensemble) behind the async contract, its frozen backbone(s) run by the engine
 * train-patchcore's --feature-engine chooser picks (features/onnx-features.ts chooseFeatureEngine): onnxruntime when
 * asked for, or under auto when it loads and converts the backbone on a CPU tfjs backend; else tfjs, with the reason.
 * Pooling, kNN, map and score stay the tfjs code either way (onnx-detector.ts), so the numbers agree to float rounding.
 */
export async function loadPatchcoreAsyncDetector(artifact: LoadedArtifact, opts: { featureEngine: FeatureEngineChoice; threads?: number }): Promise<PatchcoreAsyncDetector> {
  checkKind(artifact);
  const { chooseFeatureEngine, combinedFeatureEngine, onnxBackboneMaps, onnxExtractorWithHead } = await import('../../features/onnx-features.js');
  const { patchcoreHeadUnsupported, patchcoreOnnxHead } = await import('./onnx-head.js');
  if (isEnsembleArtifact(artifact)) {
    const engines: { name: string; featureEngine: FeatureEngineUsed }[] = [];
    const ensemble = await (await import('./ensemble-detector.js')).loadPatchcoreEnsembleAsync(artifact, async (member) => {
      const d = await loadPatchcoreAsyncDetector(member, opts);
      engines.push({ name: member.dir, featureEngine: d.featureEngine });
      return d;
    });
    return Object.assign(ensemble, { featureEngine: combinedFeatureEngine(engines) });
  }
  const { cfg, extractor, banks } = await loadBankParts(artifact);
  const live = { category: artifact.manifest.category, artifactDir: artifact.dir };
  const shapes = extractor.outputs.map((o) => ({ height: Number(o.shape[1]), width: Number(o.shape[2]) }));
  // One session for all of it where the head covers the config; else the backbone maps, the rest in tfjs.
  const whole = patchcoreHeadUnsupported(cfg, shapes) === null;
  try {
    const chosen = await chooseFeatureEngine(opts.featureEngine, { backend: tf.getBackend() }, async () =>
      whole
        ? { session: await onnxExtractorWithHead('patchcore', extractor, cfg.imageSize, patchcoreOnnxHead(cfg, (await banks.patches.data()) as Float32Array, banks.patches.shape[0]), opts.threads) }
        : { maps: await onnxBackboneMaps(extractor, cfg.imageSize, opts.threads) },
    );
    const featureEngine: FeatureEngineUsed = { used: chosen.used, reason: chosen.reason };
    if (chosen.onnx) {
      // The session holds its own copy of the weights (and, whole, of the bank): the tfjs copies can go.
      extractor.dispose();
      const { session, maps } = chosen.onnx;
      if (session) {
        banks.patches.dispose();
        banks.global?.dispose();
        return Object.assign(patchcoreOnnxSessionDetector(session, cfg, banks.norm, live), { featureEngine });
      }
      return Object.assign(patchcoreOnnxDetector(maps as OnnxBackboneMaps, banks, cfg, { ...live, owns: true }), { featureEngine });
    }
    return Object.assign(tfjsAsyncDetector(patchcoreDetector(extractor, banks, cfg, { ...live, ownsModels: true })), { featureEngine });
  } catch (err) {
    // chooseFeatureEngine throws only for --feature-engine onnx, before anything took ownership.
    extractor.dispose();
    banks.patches.dispose();
    banks.global?.dispose();
    throw err;
  }
}
