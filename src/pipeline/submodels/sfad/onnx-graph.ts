// SFAD as one ONNX graph: frozen backbone maps, SimpleNet aggregation and projection, the adaptor and the
// discriminator as 1x1 convs per location, -D(q) upsampled and smoothed into the map, its max as the score.
import type * as tf from '@tensorflow/tfjs';
import { validateSfadConfig, type SfadConfig } from './model/config.js';
import type { LoadedArtifact } from '../../artifacts/index.js';
import { artifactModelConfig, withNetworks } from '../../detectors/artifact-networks.js';
import { SFAD_MODEL_NAMES } from './detector.js';
import type { SfadModel } from './model/model.js';
import { finishDetectorGraph, startDetectorGraph } from '../../export/detector-graph.js';
import { outputShapes } from '../../export/feature-maps.js';
import { LayersConverter } from '../../export/layers-converter.js';
import { aggregateFeatures, maxPerImage, patchScoresToMap, sized, type SizedVal } from '../../export/map-ops.js';
import type { OnnxGraph } from '../../export/onnx-graph.js';

export function sfadGraph(model: Pick<SfadModel, 'extractor' | 'adaptor' | 'discriminator'>, cfg: SfadConfig): OnnxGraph {
  const d = startDetectorGraph('sfad', cfg.imageSize);
  const g = d.graph;
  const shapes = outputShapes(model.extractor, cfg.imageSize);
  const maps = new LayersConverter(g, 'backbone/').convertModel(model.extractor, [d.image]).map((v, i) => sized(v, shapes[i] ?? [], `SFAD feature map ${cfg.layers[i]}`));
  const features = aggregateFeatures(g, maps, cfg.patchSize, cfg.featureDim, 'aggregate');
  // The adaptor and discriminator take rows [M,D]; fed [N,D,h,w], their dense layers become 1x1 convs.
  const [q] = new LayersConverter(g, 'adaptor/').convertModel(model.adaptor, [features]);
  const [logit] = new LayersConverter(g, 'discriminator/').convertModel(model.discriminator, [q as SizedVal]);
  const patch: SizedVal = { ...features, name: g.node('Neg', [(logit as SizedVal).name], {}, 'patch_scores'), channels: 1 };
  const map = patchScoresToMap(g, patch, cfg.imageSize, cfg.smoothingSigma, 'map');
  return finishDetectorGraph(d, map, maxPerImage(g, map, 'score'));
}

/** The ONNX graph of a saved SFAD artifact (extractor, adaptor and discriminator, loaded for the conversion). */
export async function sfadArtifactGraph(artifact: LoadedArtifact): Promise<{ graph: OnnxGraph; imageSize: number }> {
  const cfg = artifactModelConfig<SfadConfig>(artifact, 'what its training command records');
  validateSfadConfig(cfg);
  const graph = await withNetworks(artifact, SFAD_MODEL_NAMES, ([extractor, adaptor, discriminator]) =>
    sfadGraph({ extractor: extractor as tf.LayersModel, adaptor: adaptor as tf.LayersModel, discriminator: discriminator as tf.LayersModel }, cfg),
  );
  return { graph, imageSize: cfg.imageSize };
}
