// The SFAD network (SimpleNet, Liu et al. CVPR 2023): frozen backbone features -> local aggregation ->
// fixed channel projection -> trainable 1x1 adaptor -> MLP discriminator. No optimiser, data or files here.
import * as tf from '@tensorflow/tfjs';
import { hashSeed } from '../../../core/random.js';
import { buildBackbone } from '../../../../models/components/backbone.js';
import { tfSeed, xavierInit, type InitSeed } from '../../../../models/components/backbone-init.js';
import { aggregateFeatures } from '../../../../models/components/feature-extractor-aggregation.js';
import { buildFeatureExtractor, extractFeatures } from '../../../../models/components/feature-extractor.js';
import { MadenetError } from '../../../core/errors.js';
import { isPackagedBackbone, type SfadConfig } from './config.js';
import { sfadLoss, type SfadLossTerms } from './loss.js';

export interface SfadModel {
  /** The backbone (frozen); kept so that its weights can be saved or disposed. */
  backbone: tf.LayersModel;
  /** [N,S,S,3] in [0,1] -> one map per cfg.layers entry; frozen, shares the backbone's layers. */
  extractor: tf.LayersModel;
  /** [M,D] -> [M,D]: one linear layer applied per location (a 1x1 conv), trainable. */
  adaptor: tf.LayersModel;
  /** [M,D] -> [M,1]: linear -> BN -> LeakyReLU(0.2) -> linear(1, no bias); high = normal. */
  discriminator: tf.LayersModel;
}

export interface SfadBuildOptions {
  /** Seed of the adaptor/discriminator initialisation (and of a random backbone); null = zeros (shape checks). */
  seed?: number | null;
  /** A backbone with imported or transferred weights; default: a seeded random backbone of cfg.backbone. */
  backbone?: tf.LayersModel;
  /**
   * A ready frozen extractor with one output per cfg.layers entry (a packaged network cut at its layers): it is
   * then the model's backbone too, so disposeSfad frees it once.
   */
  extractor?: tf.LayersModel;
}

export function buildSfadAdaptor(featureDim: number, seed: InitSeed): tf.LayersModel {
  const input = tf.input({ shape: [featureDim], name: 'adaptor.input' });
  const out = tf.layers.dense({ units: featureDim, name: 'adaptor.fc', kernelInitializer: xavierInit(seed, 'adaptor.fc') }).apply(input);
  return tf.model({ inputs: input, outputs: out as tf.SymbolicTensor, name: 'sfad_adaptor' });
}

/** SimpleNet's Discriminator: body.block1 = (fc, bn, LeakyReLU 0.2), tail = linear without bias. */
export function buildSfadDiscriminator(featureDim: number, hidden: number, seed: InitSeed): tf.LayersModel {
  const input = tf.input({ shape: [featureDim], name: 'discriminator.input' });
  let x = tf.layers.dense({ units: hidden, name: 'discriminator.body.block1.fc', kernelInitializer: xavierInit(seed, 'discriminator.body.block1.fc') }).apply(input) as tf.SymbolicTensor;
  x = tf.layers.batchNormalization({ axis: -1, epsilon: 1e-5, momentum: 0.9, name: 'discriminator.body.block1.bn' }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.leakyReLU({ alpha: 0.2, name: 'discriminator.body.block1.act' }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.dense({ units: 1, useBias: false, name: 'discriminator.tail', kernelInitializer: xavierInit(seed, 'discriminator.tail') }).apply(x) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: x, name: 'sfad_discriminator' });
}

export function buildSfad(cfg: SfadConfig, opts: SfadBuildOptions = {}): SfadModel {
  const seed = opts.seed === undefined ? 0 : opts.seed;
  if (opts.extractor) {
    return {
      backbone: opts.extractor,
      extractor: opts.extractor,
      adaptor: buildSfadAdaptor(cfg.featureDim, seed),
      discriminator: buildSfadDiscriminator(cfg.featureDim, cfg.discriminatorHidden, seed),
    };
  }
  if (isPackagedBackbone(cfg.backbone)) {
    throw new MadenetError('E_CONFIG', `SFAD backbone ${cfg.backbone} is a packaged network; expected its loaded extractor (opts.extractor) or a ResNet architecture.`);
  }
  const backbone = opts.backbone ?? buildBackbone(cfg.backbone, { seed });
  const extractor = buildFeatureExtractor(backbone, cfg.layers);
  return {
    backbone,
    extractor,
    adaptor: buildSfadAdaptor(cfg.featureDim, seed),
    discriminator: buildSfadDiscriminator(cfg.featureDim, cfg.discriminatorHidden, seed),
  };
}

/**
 * Images [N,S,S,3] in [0,1] -> projected patch features [N,h,w,D] (h = S/8 for layer2), before the adaptor.
 * No gradient reaches the backbone (it is frozen and runs with training false).
 */
export function sfadFeatures(extractor: tf.LayersModel, x: tf.Tensor4D, cfg: Pick<SfadConfig, 'featureDim' | 'patchSize'>): tf.Tensor4D {
  return tf.tidy(() => aggregateFeatures(extractFeatures(extractor, x), { featureDim: cfg.featureDim, patchSize: cfg.patchSize }));
}

/** Isotropic Gaussian noise N(0, std^2 I) shaped like the features; the seed (any integer, 0 too) makes it reproducible. */
export function sfadNoise(shape: number[], std: number, seed: number): tf.Tensor {
  return tf.randomNormal(shape, 0, std, 'float32', tfSeed(hashSeed('sfad-noise', seed)));
}

/** Discriminator logits [M,1] of adapted features q = adaptor(f), f: [M,D] rows. */
export function sfadDiscriminate(model: Pick<SfadModel, 'adaptor' | 'discriminator'>, rows: tf.Tensor2D, training: boolean): tf.Tensor2D {
  return tf.tidy(() => {
    const q = model.adaptor.apply(rows, { training }) as tf.Tensor2D;
    return model.discriminator.apply(q, { training }) as tf.Tensor2D;
  });
}

/** Patch anomaly scores [N,h,w,1] = -D(adaptor(f)) for features f [N,h,w,D] (inference mode). */
export function sfadPatchScores(model: Pick<SfadModel, 'adaptor' | 'discriminator'>, features: tf.Tensor4D): tf.Tensor4D {
  return tf.tidy(() => {
    const [n, h, w, d] = features.shape;
    const logits = sfadDiscriminate(model, features.reshape([n * h * w, d]) as tf.Tensor2D, false);
    return logits.neg().reshape([n, h, w, 1]) as tf.Tensor4D;
  });
}

/**
 * One training forward pass: q = adaptor(f), q~ = q + N(0, noiseStd^2), D on both (one batch, so batch norm
 * sees normal and noisy rows together, as in SimpleNet), truncated L1 loss. Call inside optimizer.minimize /
 * tf.variableGrads; features [N,h,w,D] come from sfadFeatures (no gradient to the backbone).
 */
export function sfadTrainingLoss(
  model: Pick<SfadModel, 'adaptor' | 'discriminator'>,
  features: tf.Tensor4D,
  cfg: Pick<SfadConfig, 'noiseStd' | 'margin'>,
  noiseSeed: number,
): SfadLossTerms {
  const { m, scores } = sfadTrainingScores(model, features, cfg, noiseSeed);
  return sfadLoss(scores.slice([0, 0], [m, 1]), scores.slice([m, 0], [m, 1]), cfg.margin);
}

/**
 * The training forward pass both losses share (training and fine-tuning): D on [q; q~] as one batch, so batch norm
 * sees normal and noisy rows together. scores [2m,1]: rows 0..m-1 for q, m..2m-1 for q~ (m = N*h*w locations).
 */
export function sfadTrainingScores(
  model: Pick<SfadModel, 'adaptor' | 'discriminator'>,
  features: tf.Tensor4D,
  cfg: Pick<SfadConfig, 'noiseStd'>,
  noiseSeed: number,
): { m: number; scores: tf.Tensor2D } {
  const [n, h, w, d] = features.shape;
  const m = n * h * w;
  const q = model.adaptor.apply(features.reshape([m, d]), { training: true }) as tf.Tensor2D;
  const qFake = q.add(sfadNoise([m, d], cfg.noiseStd, noiseSeed));
  return { m, scores: model.discriminator.apply(tf.concat([q, qFake], 0), { training: true }) as tf.Tensor2D };
}

/** The variables each optimiser updates (SimpleNet: AdamW on the adaptor, Adam on the discriminator). */
export function sfadTrainableVariables(model: Pick<SfadModel, 'adaptor' | 'discriminator'>): { adaptor: tf.Variable[]; discriminator: tf.Variable[] } {
  const vars = (m: tf.LayersModel) => m.trainableWeights.map((w) => w.read() as tf.Variable);
  return { adaptor: vars(model.adaptor), discriminator: vars(model.discriminator) };
}

export function disposeSfad(model: SfadModel): void {
  model.adaptor.dispose();
  model.discriminator.dispose();
  model.backbone.dispose();
}
