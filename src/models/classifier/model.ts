// The ISM pre-classifier network: EfficientNet features -> global average pool -> dropout -> linear -> softmax.
// Builders and a by-name backbone weight copy only; no optimiser, no data, no files.
import * as tf from '@tensorflow/tfjs';
import { MadenetError } from '../../pipeline/core/errors.js';
import { ImagenetNormalization } from '../components/backbone-normalize.js';
import { layerSeed } from '../components/backbone-init.js';
import type { Sym } from '../components/conv.js';
import { efficientNetFeatures } from '../components/efficientnet.js';
import { seededDrop } from '../components/layers-dropout.js';
import type { ClassifierConfig } from './config.js';

export { buildEfficientNetBackbone } from '../components/efficientnet.js';

/**
 * [N,S,S,3] RGB in [0,1] -> [N,numClasses] softmax probabilities (S = cfg.imageSize). ImageNet normalisation is the
 * model's first layer (`normalize`); layer names follow timm's efficientnet (`conv_stem`, `blocks.s.i.*`, `conv_head`,
 * `classifier`). Call with `{training: true}` (model.apply) to use batch statistics, dropout and drop-path.
 */
export function buildClassifier(cfg: ClassifierConfig, numClasses: number): tf.LayersModel {
  checkClasses(numClasses);
  if (cfg.network !== undefined) {
    throw new MadenetError('E_CONFIG', `Classifier body ${cfg.network} is a packaged network; expected it loaded and passed to buildClassifierOn.`);
  }
  const x = tf.input({ shape: [cfg.imageSize, cfg.imageSize, 3], name: 'image' });
  let y = new ImagenetNormalization({ name: 'normalize' }).apply(x) as Sym;
  y = efficientNetFeatures(y, cfg.backbone, cfg.seed);
  return tf.model({ inputs: x, outputs: classifierHead(y, cfg, numClasses), name: 'classifier' });
}

function checkClasses(numClasses: number): void {
  if (!Number.isInteger(numClasses) || numClasses < 2) {
    throw new MadenetError('E_CONFIG', `Invalid classifier numClasses: ${numClasses}; expected an integer >= 2.`, {
      suggestions: ['The pre-classifier needs at least two component categories in the training data.'],
    });
  }
}

/**
 * The classifier on a pretrained body (a packaged network with one output, [N,S,S,3] in [0,1] -> [N,h,w,C], see
 * pipeline/weights/npm-backbone.ts): the body's layers become the classifier's first layers (one flat model, so it
 * saves and loads like any other) and are fine-tuned with the head; the body takes [0,1] inputs, so no normalisation.
 */
export function buildClassifierOn(body: tf.LayersModel, cfg: ClassifierConfig, numClasses: number): tf.LayersModel {
  checkClasses(numClasses);
  if (body.outputs.length !== 1 || body.inputs.length !== 1) {
    throw new MadenetError('E_CONFIG', `Classifier body ${body.name} has ${body.inputs.length} inputs and ${body.outputs.length} outputs; expected one of each.`);
  }
  body.layers.forEach((l) => {
    l.trainable = true;
  });
  return tf.model({ inputs: body.inputs, outputs: classifierHead(body.outputs[0] as Sym, cfg, numClasses), name: 'classifier' });
}

/** global average pool -> dropout -> linear -> softmax, on a body's last feature map. */
function classifierHead(features: Sym, cfg: ClassifierConfig, numClasses: number): Sym {
  let y = tf.layers.globalAveragePooling2d({ name: 'global_pool' }).apply(features) as Sym;
  if (cfg.dropRate > 0) {
    y = seededDrop(y, { name: 'head_drop', rate: cfg.dropRate, seed: layerSeed(cfg.seed, 'head_drop') });
  }
  // timm / torchvision: U(-1/sqrt(out_features), 1/sqrt(out_features)), zero bias.
  y = tf.layers
    .dense({
      units: numClasses,
      name: 'classifier',
      kernelInitializer: tf.initializers.varianceScaling({
        scale: 1 / 3,
        mode: 'fanOut',
        distribution: 'uniform',
        seed: layerSeed(cfg.seed, 'classifier'),
      }),
    })
    .apply(y) as Sym;
  return tf.layers.activation({ activation: 'softmax', name: 'probs' }).apply(y) as Sym;
}

export interface WeightCopyReport {
  /** Layers whose weights were copied. */
  copied: string[];
  /** Layers with weights in `target` that `source` lacks (left as initialised, e.g. `classifier`). */
  missing: string[];
}

/**
 * Copies weights layer by layer, matched by name, from a backbone (buildEfficientNetBackbone, or an imported
 * one) into a classifier. Shapes must agree (same variant), otherwise E_WEIGHTS names the layer.
 */
export function loadBackboneWeights(target: tf.LayersModel, source: tf.LayersModel): WeightCopyReport {
  const report: WeightCopyReport = { copied: [], missing: [] };
  for (const layer of target.layers) {
    if (layer.weights.length === 0) continue;
    const src = source.layers.find((l) => l.name === layer.name);
    if (src === undefined || src.weights.length === 0) {
      report.missing.push(layer.name);
      continue;
    }
    const have = src.weights.map((w) => w.shape.join('x')).join(',');
    const want = layer.weights.map((w) => w.shape.join('x')).join(',');
    if (have !== want) {
      throw new MadenetError('E_WEIGHTS', `Backbone layer ${layer.name} has weights ${have}; expected ${want}.`, {
        suggestions: ['Import the backbone of the same EfficientNet variant as the classifier preset.'],
      });
    }
    layer.setWeights(src.getWeights());
    report.copied.push(layer.name);
  }
  return report;
}
