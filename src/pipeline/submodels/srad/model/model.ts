// The SRAD networks: a reconstructive HRNet encoder + residual/transposed-conv decoder, and a discriminative
// U-Net on concat(image, reconstruction). Builders and the forward pass only; no optimiser, no data.
import * as tf from '@tensorflow/tfjs';
import { MadenetError } from '../../../core/errors.js';
import { ImagenetNormalization } from '../../../../models/components/backbone-normalize.js';
import { activation, batchNorm, conv2d, convTranspose2dX2, type Sym } from '../../../../models/components/conv.js';
import { hrnetBasicBlock, hrnetEncoder } from '../../../../models/components/hrnet.js';
import { unetBody } from '../../../../models/components/unet.js';
import type { SradConfig } from './config.js';

export interface SradModels {
  /**
   * [N,S,S,3] image in [0,1] -> [N,S,S,3] reconstruction (sigmoid: in [0,1]). Layers `enc.*` (ImageNet
   * normalisation `enc.normalize`, then HRNet, so ImageNet HRNet weights fit), `dec.*`.
   */
  reconstructive: tf.LayersModel;
  /** [N,S,S,6] concat(image, reconstruction) -> [N,S,S,2] softmax (normal, anomaly) or [N,S,S,1] sigmoid. Layers `det.*`. */
  discriminative: tf.LayersModel;
}

/** Builds both networks for cfg.imageSize (weights seeded by cfg.seed and each layer's name). */
export function buildSrad(cfg: SradConfig): SradModels {
  return { reconstructive: buildReconstructive(cfg), discriminative: buildDiscriminative(cfg) };
}

export function buildReconstructive(cfg: SradConfig): tf.LayersModel {
  const s = cfg.imageSize;
  const seed = cfg.seed;
  const x = tf.input({ shape: [s, s, 3], name: 'image' });
  const normalized = new ImagenetNormalization({ name: 'enc.normalize' }).apply(x) as Sym;
  let y = hrnetEncoder(normalized, cfg.encoder, 'enc.', seed);
  const width = cfg.decoder.channels ?? 0;
  if (width > 0) {
    y = conv2d(y, { name: 'dec.proj', filters: width, kernel: 1, seed });
    y = activation(batchNorm(y, 'dec.proj.bn'), 'relu', 'dec.proj.relu');
  }
  for (let r = 0; r < cfg.decoder.residualBlocks; r++) y = hrnetBasicBlock(y, `dec.res.${r}`, seed);
  y = convTranspose2dX2(y, { name: 'dec.up.0', filters: cfg.decoder.upChannels, seed });
  y = activation(batchNorm(y, 'dec.up.0.bn'), 'relu', 'dec.up.0.relu');
  y = convTranspose2dX2(y, { name: 'dec.up.1', filters: 3, useBias: true, seed });
  y = activation(y, cfg.decoder.output, 'dec.out');
  return tf.model({ inputs: x, outputs: y, name: 'srad_reconstructive' });
}

export function buildDiscriminative(cfg: SradConfig): tf.LayersModel {
  const s = cfg.imageSize;
  const x = tf.input({ shape: [s, s, 6], name: 'image_recon' });
  let y = unetBody(x, cfg.detector, 'det.', cfg.seed);
  y = conv2d(y, { name: 'det.head', filters: cfg.detector.maskChannels, kernel: 1, useBias: true, seed: cfg.seed });
  y = activation(y, cfg.detector.maskChannels === 2 ? 'softmax' : 'sigmoid', 'det.mask') as Sym;
  return tf.model({ inputs: x, outputs: y, name: 'srad_discriminative' });
}

export type SradOutputs = {
  /** [N,S,S,3] reconstruction. */
  recon: tf.Tensor4D;
  /** [N,S,S,C] mask probabilities (C = cfg.detector.maskChannels). */
  maskPred: tf.Tensor4D;
};

/**
 * image [N,S,S,3] -> reconstruction and mask. The reconstruction enters the detector undetached, so a
 * segmentation loss also trains the reconstructive network (as in DRAEM). Synchronous; call inside tf.tidy or
 * an optimiser's minimize. training: batch statistics for BN (and updates of its moving averages).
 */
export function sradForward(models: SradModels, image: tf.Tensor4D, training: boolean): SradOutputs {
  const recon = models.reconstructive.apply(image, { training }) as tf.Tensor4D;
  const joint = tf.concat([image, recon], 3);
  const maskPred = models.discriminative.apply(joint, { training }) as tf.Tensor4D;
  return { recon, maskPred };
}

/** The variables an optimiser must update (pass them as minimize's varList). */
export function sradTrainableVariables(models: SradModels): tf.Variable[] {
  return [...models.reconstructive.trainableWeights, ...models.discriminative.trainableWeights].map(
    (w) => w.read() as tf.Variable,
  );
}

export function disposeSrad(models: SradModels): void {
  models.reconstructive.dispose();
  models.discriminative.dispose();
}

/**
 * Copies an HRNet encoder (components/hrnet buildHrnetEncoder, e.g. from `weights import --arch hrnet_w32`) into
 * the reconstructive network's `enc.*` layers. Every weighted `enc.*` layer must be supplied with the same shapes
 * (same width family and stage counts), otherwise E_WEIGHTS lists the gaps. Returns the number of layers copied.
 */
export function loadSradEncoderWeights(models: SradModels, encoder: tf.LayersModel): number {
  const source = new Map(encoder.layers.map((l) => [l.name, l]));
  const gaps: string[] = [];
  const pairs: [tf.layers.Layer, tf.layers.Layer][] = [];
  for (const layer of models.reconstructive.layers) {
    if (!layer.name.startsWith('enc.') || layer.weights.length === 0) continue;
    const from = source.get(layer.name.slice('enc.'.length));
    const want = layer.weights.map((w) => w.shape.join('x')).join(',');
    const have = from?.weights.map((w) => w.shape.join('x')).join(',');
    if (from === undefined || have !== want) gaps.push(`${layer.name} (${have === undefined ? 'missing' : `[${have}] vs [${want}]`})`);
    else pairs.push([from, layer]);
  }
  if (gaps.length > 0) {
    throw new MadenetError(
      'E_WEIGHTS',
      `Encoder ${encoder.name} does not fit SRAD's encoder: ${gaps.length} layers missing or mis-shaped: ${gaps.slice(0, 8).join(', ')}${gaps.length > 8 ? ', ...' : ''}.`,
      { suggestions: ['Import the HRNet of the preset\'s width (paper: hrnet_w32) or change --preset / the encoder width.'] },
    );
  }
  for (const [from, to] of pairs) to.setWeights(from.getWeights());
  return pairs.length;
}
