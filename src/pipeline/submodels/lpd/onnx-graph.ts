// LPD as one ONNX graph, as submodels/lpd/detector.ts computes it: one backbone pass feeding the head (P(patched)) and
// the GDE patch embeddings, whose Mahalanobis distances, upsampled and smoothed, are the map; the score is
// the head's probability or the map's max (the artifact's scoring).
import type * as tf from '@tensorflow/tfjs';
import type { LpdConfig } from './model/config.js';
import type { GdeState } from './model/gde.js';
import { MadenetError } from '../../core/errors.js';
import type { LpdScoring } from './detector.js';
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
