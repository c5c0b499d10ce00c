// A frozen multi-output view of a backbone: the chosen intermediate layers (default layer2 + layer3) of a
// model built by buildResNet (or any backbone whose layers carry stage names). Shares the backbone's weights.
import * as tf from '@tensorflow/tfjs';
import { MadenetError } from '../../pipeline/core/errors.js';
import { RESNET_STAGES, type ResNetStage } from './resnet.js';

export const DEFAULT_FEATURE_LAYERS: readonly string[] = ['layer2', 'layer3'];

/**
 * The layer whose output a requested name stands for: a stage name (`layer2`) resolves to the last layer
 * of that stage (`layer2.<last>.relu`), any other name must be a layer of the backbone.
 */
export function resolveFeatureLayer(backbone: tf.LayersModel, name: string): tf.layers.Layer {
  const names = backbone.layers.map((l) => l.name);
  if ((RESNET_STAGES as readonly string[]).includes(name)) {
    const stage = name as ResNetStage;
    const last = names.filter((n) => n.startsWith(`${stage}.`) && n.endsWith('.relu')).sort(byBlockIndex).at(-1);
    if (last !== undefined) return backbone.getLayer(last);
  }
  if (names.includes(name)) return backbone.getLayer(name);
  throw new MadenetError('E_CONFIG', `Feature layer ${name} is not in backbone ${backbone.name}; expected a stage (layer1..layer4) or one of its layer names.`, {
    suggestions: [`Layers of ${backbone.name} include: ${names.filter((n) => n.endsWith('.relu')).slice(0, 12).join(', ')}, ...`],
  });
}

function byBlockIndex(a: string, b: string): number {
  return Number(a.split('.')[1]) - Number(b.split('.')[1]);
}

export interface FeatureExtractorOptions {
  /**
   * Freeze the whole backbone (default true): the extractor's layers are the backbone's own layers;
   * pass false to read features of a backbone that is still being trained (LPD).
   */
  freeze?: boolean;
}

/**
 * A model [N,H,W,3] in [0,1] -> one [N,h_i,w_i,C_i] map per requested layer, in the order asked for.
 * Run it with training false (extractFeatures does) so batch norm uses its running statistics.
 */
export function buildFeatureExtractor(
  backbone: tf.LayersModel,
  layers: readonly string[] = DEFAULT_FEATURE_LAYERS,
  opts: FeatureExtractorOptions = {},
): tf.LayersModel {
  if (layers.length === 0) throw new MadenetError('E_CONFIG', 'No feature layers were requested; expected at least one (e.g. layer2, layer3).');
  const outputs = layers.map((name) => resolveFeatureLayer(backbone, name).output as tf.SymbolicTensor);
  const extractor = tf.model({ inputs: backbone.inputs, outputs, name: `${backbone.name}_features` });
  if (opts.freeze ?? true) {
    backbone.trainable = false; // also the layers past the last chosen one, so nothing of it trains by accident
    extractor.trainable = false;
  }
  return extractor;
}

/** Runs the extractor in inference mode; always returns an array, even for one layer. */
export function extractFeatures(extractor: tf.LayersModel, x: tf.Tensor4D): tf.Tensor4D[] {
  const out = extractor.apply(x, { training: false }) as tf.Tensor4D | tf.Tensor4D[];
  return Array.isArray(out) ? out : [out];
}
