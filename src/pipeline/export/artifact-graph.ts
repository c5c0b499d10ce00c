// Loads the networks of a submodel or classifier artifact (as its detector loader does) and builds the
// matching ONNX graph. The networks are disposed before returning; only the graph (plain data) is kept.
import * as tf from '@tensorflow/tfjs';
import { validateClassifierConfig, type ClassifierConfig } from '../../models/classifier/config.js';
import { validateLpdConfig, type LpdConfig } from '../submodels/lpd/model/config.js';
import { gdeFromTensors } from '../submodels/lpd/model/gde.js';
import { validateSfadConfig, type SfadConfig } from '../submodels/sfad/model/config.js';
import { validateSradConfig, type SradConfig } from '../submodels/srad/model/config.js';
import { layersModelFrom, type LoadedArtifact } from '../artifacts/index.js';
import { MadenetError } from '../core/errors.js';
// Imported for their side effects too: they register the custom layers saved topologies name.
import '../detectors/classifier.js';
import { LPD_GDE_FILE, LPD_KIND, LPD_SCORINGS, lpdInferenceModel, type LpdScoring } from '../submodels/lpd/detector.js';
import { SFAD_KIND, SFAD_MODEL_NAMES } from '../submodels/sfad/detector.js';
import { SRAD_KIND } from '../submodels/srad/detector.js';
import { CLASSIFIER_KIND } from '../infer/classifier-contract.js';
import { onCpuBackend } from '../runtime/backend.js';
import { readSafetensors } from '../weights/safetensors.js';
import { classifierGraph } from './classifier-graph.js';
import { lpdGraph } from '../submodels/lpd/onnx-graph.js';
import type { OnnxGraph } from './onnx-graph.js';
import { sfadGraph } from '../submodels/sfad/onnx-graph.js';
import { sradGraph } from '../submodels/srad/onnx-graph.js';

export const EXPORTABLE_KINDS = [SRAD_KIND, SFAD_KIND, LPD_KIND, CLASSIFIER_KIND] as const;

export interface ArtifactGraph {
  graph: OnnxGraph;
  kind: string;
  imageSize: number;
}

function modelConfig<T>(artifact: LoadedArtifact): T {
  const cfg = (artifact.manifest.config as { model?: unknown } | null)?.model;
  if (!cfg || typeof cfg !== 'object') throw new MadenetError('E_ARTIFACT', `Artifact ${artifact.dir} has no config.model; expected what its training command records.`);
  return cfg as T;
}

async function withModels<T>(artifact: LoadedArtifact, names: readonly string[], use: (models: tf.LayersModel[]) => T): Promise<T> {
  const models: tf.LayersModel[] = [];
  try {
    for (const name of names) models.push(await layersModelFrom(await artifact.modelArtifacts(name)));
    return use(models);
  } finally {
    models.forEach((m) => m.dispose());
  }
}

/**
 * The artifact's ONNX graph. The converters read weights synchronously (layerWeights) and run one probe forward
 * pass for shapes; under webgpu (asynchronous reads only) that happens on the cpu backend, then webgpu resumes.
 */
export async function artifactGraph(artifact: LoadedArtifact): Promise<ArtifactGraph> {
  return tf.getBackend() === 'webgpu' ? onCpuBackend(() => buildArtifactGraph(artifact)) : buildArtifactGraph(artifact);
}

async function buildArtifactGraph(artifact: LoadedArtifact): Promise<ArtifactGraph> {
  const kind = artifact.manifest.kind;
  if (kind === SRAD_KIND) {
    const cfg = modelConfig<SradConfig>(artifact);
    validateSradConfig(cfg);
    const graph = await withModels(artifact, ['reconstructive', 'discriminative'], ([reconstructive, discriminative]) =>
      sradGraph({ reconstructive: reconstructive as tf.LayersModel, discriminative: discriminative as tf.LayersModel }, cfg),
    );
    return { graph, kind, imageSize: cfg.imageSize };
  }
  if (kind === SFAD_KIND) {
    const cfg = modelConfig<SfadConfig>(artifact);
    validateSfadConfig(cfg);
    const graph = await withModels(artifact, SFAD_MODEL_NAMES, ([extractor, adaptor, discriminator]) =>
      sfadGraph({ extractor: extractor as tf.LayersModel, adaptor: adaptor as tf.LayersModel, discriminator: discriminator as tf.LayersModel }, cfg),
    );
    return { graph, kind, imageSize: cfg.imageSize };
  }
  if (kind === LPD_KIND) {
    const cfg = modelConfig<LpdConfig>(artifact);
    validateLpdConfig(cfg);
    const scoring = ((artifact.manifest.config as { scoring?: LpdScoring }).scoring ?? 'head') as LpdScoring;
    if (!LPD_SCORINGS.includes(scoring)) throw new MadenetError('E_ARTIFACT', `Artifact ${artifact.dir} has config.scoring ${JSON.stringify(scoring)}; expected one of ${LPD_SCORINGS.join(', ')}.`);
    const gde = gdeFromTensors(readSafetensors(await artifact.readFile(LPD_GDE_FILE), `${artifact.dir}/${LPD_GDE_FILE}`));
    const graph = await withModels(artifact, ['model'], ([model]) => lpdGraph(lpdInferenceModel(model as tf.LayersModel, cfg.gdeLayers), gde, cfg, scoring));
    return { graph, kind, imageSize: cfg.imageSize };
  }
  if (kind === CLASSIFIER_KIND) {
    const cfg = modelConfig<ClassifierConfig>(artifact);
    validateClassifierConfig(cfg);
    const graph = await withModels(artifact, ['model'], ([model]) => classifierGraph(model as tf.LayersModel, cfg.imageSize));
    return { graph, kind, imageSize: cfg.imageSize };
  }
  if (kind === 'patchcore') {
    // The kNN itself is one MatMul + ReduceMin, but the packaged backbones' layers (depthwise convolutions,
    // Keras padding layers, inception branches) are not in the layers-to-ONNX converter yet.
    throw new MadenetError('E_EXPORT', `Artifact ${artifact.dir} is a PatchCore memory bank, which has no ONNX export yet; expected one of ${EXPORTABLE_KINDS.join(', ')}.`, {
      suggestions: ['infer runs PatchCore on TensorFlow.js (--engine auto or tfjs); nothing needs exporting.'],
    });
  }
  throw new MadenetError('E_EXPORT', `Artifact ${artifact.dir} is of kind '${kind}', which has no ONNX export; expected one of ${EXPORTABLE_KINDS.join(', ')}.`);
}
