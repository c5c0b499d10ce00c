// The SRAD networks: a reconstructive HRNet encoder + residual/transposed-conv decoder, and a discriminative
// U-Net on concat(image, reconstruction). Builders and the forward pass only; no optimiser, no data.
import * as tf from '@tensorflow/tfjs';
import { activation, batchNorm, conv2d, convTranspose2dX2, type Sym } from '../components/conv.js';
import { hrnetBasicBlock, hrnetEncoder } from '../components/hrnet.js';
import { unetBody } from '../components/unet.js';
import type { SradConfig } from './config.js';

export interface SradModels {
  /** [N,S,S,3] image in [0,1] -> [N,S,S,3] reconstruction (sigmoid: in [0,1]). Layers `enc.*`, `dec.*`. */
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
  let y = hrnetEncoder(x, cfg.encoder, 'enc.', seed);
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

export interface SradOutputs {
  /** [N,S,S,3] reconstruction. */
  recon: tf.Tensor4D;
  /** [N,S,S,C] mask probabilities (C = cfg.detector.maskChannels). */
  maskPred: tf.Tensor4D;
}

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
