// Loads the networks of a submodel or classifier artifact (as its detector loader does) and builds the
// matching ONNX graph. The networks are disposed before returning; only the graph (plain data) is kept.
// Each submodel builds its own graph (its onnx-graph.ts, reached through the registry); the classifier's is here.
import * as tf from '@tensorflow/tfjs';
import { validateClassifierConfig, type ClassifierConfig } from '../../models/classifier/config.js';
import type { LoadedArtifact } from '../artifacts/index.js';
import { MadenetError } from '../core/errors.js';
// Imported for its side effects too: it registers the custom layers saved classifier topologies name.
import '../detectors/classifier.js';
import { CLASSIFIER_KIND } from '../infer/classifier-contract.js';
import { onCpuBackend } from '../runtime/backend.js';
import { findSubmodel, listSubmodels } from '../submodels/registry.js';
import { isUnsupported } from '../submodels/contract.js';
import { artifactModelConfig, withNetworks } from '../detectors/artifact-networks.js';
import { classifierGraph } from './classifier-graph.js';
import type { OnnxGraph } from './onnx-graph.js';

/** The kinds `madenet export` converts: every registered submodel with an ONNX graph, and the pre-classifier. */
export function exportableKinds(): string[] {
  return [...listSubmodels().filter((s) => !isUnsupported(s.onnx)).map((s) => s.kind), CLASSIFIER_KIND];
}

export interface ArtifactGraph {
  graph: OnnxGraph;
  kind: string;
  imageSize: number;
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
  if (kind === CLASSIFIER_KIND) {
    const cfg = artifactModelConfig<ClassifierConfig>(artifact, 'what its training command records');
    validateClassifierConfig(cfg);
    const graph = await withNetworks(artifact, ['model'], ([model]) => classifierGraph(model as tf.LayersModel, cfg.imageSize));
    return { graph, kind, imageSize: cfg.imageSize };
  }
  const submodel = findSubmodel(kind);
  if (!submodel) throw new MadenetError('E_EXPORT', `Artifact ${artifact.dir} is of kind '${kind}', which has no ONNX export; expected one of ${exportableKinds().join(', ')}.`);
  const { onnx } = submodel;
  if (isUnsupported(onnx)) {
    throw new MadenetError('E_EXPORT', `Artifact ${artifact.dir} ${onnx.unsupported}; expected one of ${exportableKinds().join(', ')}.`, { suggestions: [...(onnx.suggestions ?? [])] });
  }
  const { graph, imageSize } = await onnx.graph(artifact);
  return { graph, kind, imageSize };
}
