// LPD as one ONNX graph, as submodels/lpd/detector.ts computes it: one backbone pass feeding the head (P(patched)) and
// the GDE patch embeddings, whose Mahalanobis distances, upsampled and smoothed, are the map; the score is
// the head's probability or the map's max (the artifact's scoring).
import type * as tf from '@tensorflow/tfjs';
import { validateLpdConfig, type LpdConfig } from './model/config.js';
import { gdeFromTensors, type GdeState } from './model/gde.js';
import type { LoadedArtifact } from '../../artifacts/index.js';
import { artifactModelConfig, withNetworks } from '../../detectors/artifact-networks.js';
import { readSafetensors } from '../../weights/safetensors.js';
import { MadenetError } from '../../core/errors.js';
import { LPD_GDE_FILE, LPD_SCORINGS, lpdInferenceModel, type LpdScoring } from './detector.js';
import { finishDetectorGraph, startDetectorGraph } from '../../export/detector-graph.js';
import { outputShapes } from '../../export/feature-maps.js';
import { LayersConverter } from '../../export/layers-converter.js';
import { aggregateFeatures, gdeDistance, maxPerImage, patchScoresToMap, sized, type SizedVal } from '../../export/map-ops.js';
import type { OnnxGraph } from '../../export/onnx-graph.js';

/**
 * `view`: [N,S,S,3] -> [P(patched) [N,1], one map per cfg.gdeLayers] (submodels/lpd/detector.ts lpdInferenceModel), whose
 * outputs share the backbone, so it is emitted once.
 */
export function lpdGraph(view: tf.LayersModel, gde: GdeState, cfg: LpdConfig, scoring: LpdScoring): OnnxGraph {
  const d = startDetectorGraph('lpd', cfg.imageSize);
  const g = d.graph;
  const [prob, ...layers] = new LayersConverter(g, 'lpd/').convertModel(view, [d.image]);
  if (prob === undefined || prob.rank !== 2 || layers.length !== cfg.gdeLayers.length) {
    throw new MadenetError('E_EXPORT', `The LPD inference model must output [N,1] probabilities and ${cfg.gdeLayers.length} feature maps.`);
  }
  const shapes = outputShapes(view, cfg.imageSize);
  const maps: SizedVal[] = layers.map((v, i) => sized(v, shapes[i + 1] ?? [], `LPD feature map ${cfg.gdeLayers[i]}`));
  const emb = aggregateFeatures(g, maps, cfg.patchSize, cfg.gdeDim, 'embed');
  const map = patchScoresToMap(g, gdeDistance(g, emb, gde.mean, gde.covInv, 'gde'), cfg.imageSize, cfg.smoothingSigma, 'map');
  const score = scoring === 'head' ? g.node('Reshape', [prob.name, g.constInt64([-1])], {}, 'score') : maxPerImage(g, map, 'score');
  return finishDetectorGraph(d, map, score);
}

/** The ONNX graph of a saved LPD artifact (its network and GDE, scored as its config.scoring says). */
export async function lpdArtifactGraph(artifact: LoadedArtifact): Promise<{ graph: OnnxGraph; imageSize: number }> {
  const cfg = artifactModelConfig<LpdConfig>(artifact, 'what its training command records');
  validateLpdConfig(cfg);
  const scoring = ((artifact.manifest.config as { scoring?: LpdScoring }).scoring ?? 'head') as LpdScoring;
  if (!LPD_SCORINGS.includes(scoring)) throw new MadenetError('E_ARTIFACT', `Artifact ${artifact.dir} has config.scoring ${JSON.stringify(scoring)}; expected one of ${LPD_SCORINGS.join(', ')}.`);
  const gde = gdeFromTensors(readSafetensors(await artifact.readFile(LPD_GDE_FILE), `${artifact.dir}/${LPD_GDE_FILE}`));
  const graph = await withNetworks(artifact, ['model'], ([model]) => lpdGraph(lpdInferenceModel(model as tf.LayersModel, cfg.gdeLayers), gde, cfg, scoring));
  return { graph, imageSize: cfg.imageSize };
}
