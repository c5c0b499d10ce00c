// SRAD as one ONNX graph: reconstructive network, concat(image, reconstruction), discriminative network,
// the anomaly channel as the map and the max of its mean-filtered copy as the score (submodels/srad/model/predict.ts).
import type * as tf from '@tensorflow/tfjs';
import { MadenetError } from '../../core/errors.js';
import type { LoadedArtifact } from '../../artifacts/index.js';
import { artifactModelConfig, withNetworks } from '../../detectors/artifact-networks.js';
import { validateSradConfig, type SradConfig } from './model/config.js';
import type { SradModels } from './model/model.js';
import { finishDetectorGraph, startDetectorGraph } from '../../export/detector-graph.js';
import type { Val } from '../../export/layer-call.js';
import { LayersConverter } from '../../export/layers-converter.js';
import { meanFilteredMax, sized } from '../../export/map-ops.js';
import { attr, type OnnxGraph } from '../../export/onnx-graph.js';
import { val } from '../../export/onnx-ops.js';

export function sradGraph(models: SradModels, cfg: SradConfig): OnnxGraph {
  const s = cfg.imageSize;
  const d = startDetectorGraph('srad', s);
  const g = d.graph;
  const [recon] = new LayersConverter(g, 'reconstructive/').convertModel(models.reconstructive, [d.image]);
  const joint = val(g.node('Concat', [d.image.name, one(recon).name], { axis: attr.i(1) }, 'image_recon'), 4, true);
  const [mask] = new LayersConverter(g, 'discriminative/').convertModel(models.discriminative, [joint]);
  const c = models.discriminative.outputs[0]?.shape[3];
  if (c !== 1 && c !== 2) throw new MadenetError('E_EXPORT', `SRAD's discriminative network outputs ${String(c)} channels; expected 1 or 2.`);
  // sradAnomalyMap: channel c-1 (the softmax's anomaly class, or the lone sigmoid).
  const anomaly = g.node('Slice', [one(mask).name, g.constInt64([c - 1]), g.constInt64([c]), g.constInt64([1])], {}, 'anomaly');
  const map = sized(val(anomaly, 4, true), [null, s, s, 1], 'the SRAD anomaly map');
  return finishDetectorGraph(d, map, meanFilteredMax(g, map, cfg.scoreFilterSize, 'score'));
}

function one(v: Val | undefined): Val {
  if (v === undefined) throw new MadenetError('E_EXPORT', 'An SRAD network has no output.');
  return v;
}

/** The ONNX graph of a saved SRAD artifact (its two networks, loaded for the conversion). */
export async function sradArtifactGraph(artifact: LoadedArtifact): Promise<{ graph: OnnxGraph; imageSize: number }> {
  const cfg = artifactModelConfig<SradConfig>(artifact, 'what its training command records');
  validateSradConfig(cfg);
  const graph = await withNetworks(artifact, ['reconstructive', 'discriminative'], ([reconstructive, discriminative]) =>
    sradGraph({ reconstructive: reconstructive as tf.LayersModel, discriminative: discriminative as tf.LayersModel }, cfg),
  );
  return { graph, imageSize: cfg.imageSize };
}
