// The LPD network (CutPaste, Li et al. CVPR 2021): a ResNet backbone + a light head (FC -> BN -> ReLU ->
// dropout, then one unit) whose sigmoid is P(image was patched). No optimiser, data or files here.
import * as tf from '@tensorflow/tfjs';
import { buildBackbone } from '../../../../models/components/backbone.js';
import { linearInit, layerSeed, type InitSeed } from '../../../../models/components/backbone-init.js';
import { aggregateFeatures } from '../../../../models/components/feature-extractor-aggregation.js';
import { buildFeatureExtractor, extractFeatures } from '../../../../models/components/feature-extractor.js';
import type { LpdConfig } from './config.js';
import { bceWithLogitsLoss, type BceTerms } from './loss.js';
import { SeededDropout } from './seeded-dropout.js';

type Sym = tf.SymbolicTensor;

export interface LpdModel {
  /** [N,S,S,3] in [0,1] -> layer4 map; trained together with the head, exportable as a backbone. */
  backbone: tf.LayersModel;
  /** [N,C] pooled backbone features -> [N,1] probability; shares its layers with `model`. */
  head: tf.LayersModel;
  /** [N,S,S,3] in [0,1] -> [N,1] probability that the image was patched (the saved model). */
  model: tf.LayersModel;
  /** [N,S,S,3] in [0,1] -> [N,1] logit before the sigmoid (for a numerically stable BCE); shares layers. */
  logits: tf.LayersModel;
  /** [N,S,S,3] -> one map per cfg.gdeLayers entry, for the GDE patch embeddings; not frozen. */
  extractor: tf.LayersModel;
}

export interface LpdBuildOptions {
  /** Seed of the head (and of a random backbone); null = zeros (shape checks). */
  seed?: number | null;
  /** Start from a backbone with imported weights (CutPaste starts from ImageNet); default seeded random. */
  backbone?: tf.LayersModel;
}

interface HeadLayers {
  apply(x: Sym): { logit: Sym; prob: Sym };
}

function headLayers(hidden: readonly number[], dropout: number, seed: InitSeed): HeadLayers {
  const blocks = hidden.map((units, i) => {
    const k = i + 1;
    return [
      tf.layers.dense({ units, name: `head.fc${k}`, kernelInitializer: linearInit(seed, `head.fc${k}`) }),
      tf.layers.batchNormalization({ axis: -1, epsilon: 1e-5, momentum: 0.9, name: `head.bn${k}` }),
      tf.layers.activation({ activation: 'relu', name: `head.relu${k}` }),
      new SeededDropout({ rate: dropout, seed: layerSeed(seed ?? 0, `head.drop${k}`), name: `head.drop${k}` }),
    ];
  });
  const out = tf.layers.dense({ units: 1, name: 'head.out', kernelInitializer: linearInit(seed, 'head.out') });
  const sigmoid = tf.layers.activation({ activation: 'sigmoid', name: 'head.sigmoid' });
  return {
    apply(x: Sym) {
      let y = x;
      for (const block of blocks) for (const layer of block) y = layer.apply(y) as Sym;
      const logit = out.apply(y) as Sym;
      return { logit, prob: sigmoid.apply(logit) as Sym };
    },
  };
}

export function buildLpd(cfg: LpdConfig, opts: LpdBuildOptions = {}): LpdModel {
  const seed = opts.seed === undefined ? 0 : opts.seed;
  const backbone = opts.backbone ?? buildBackbone(cfg.backbone, { seed });
  const head = headLayers(cfg.headHidden, cfg.dropout, seed);
  const pooled = tf.layers.globalAveragePooling2d({ name: 'head.pool' }).apply(backbone.outputs[0] as Sym) as Sym;
  const full = head.apply(pooled);
  const channels = pooled.shape[1] as number;
  const headInput = tf.input({ shape: [channels], name: 'head.input' });
  const headOnly = head.apply(headInput);
  return {
    backbone,
    head: tf.model({ inputs: headInput, outputs: headOnly.prob, name: 'lpd_head' }),
    model: tf.model({ inputs: backbone.inputs, outputs: full.prob, name: 'lpd' }),
    logits: tf.model({ inputs: backbone.inputs, outputs: full.logit, name: 'lpd_logits' }),
    extractor: buildFeatureExtractor(backbone, cfg.gdeLayers, { freeze: false }),
  };
}

/** Images [N,S,S,3] in [0,1] -> P(patched) [N] in [0,1] (inference mode). This is LPD's image score. */
export function lpdImageScore(model: tf.LayersModel, x: tf.Tensor4D): tf.Tensor1D {
  return tf.tidy(() => (model.apply(x, { training: false }) as tf.Tensor2D).reshape([-1]) as tf.Tensor1D);
}

/** Images [N,S,S,3] in [0,1] -> GDE patch embeddings [N,h,w,gdeDim] (aggregated like SFAD's features). */
export function lpdEmbeddings(extractor: tf.LayersModel, x: tf.Tensor4D, cfg: Pick<LpdConfig, 'gdeDim' | 'patchSize'>): tf.Tensor4D {
  return tf.tidy(() => aggregateFeatures(extractFeatures(extractor, x), { featureDim: cfg.gdeDim, patchSize: cfg.patchSize }));
}

/** The variables the optimiser updates: backbone and head (CutPaste fine-tunes the whole network). */
export function lpdTrainableVariables(lpd: LpdModel): tf.Variable[] {
  return lpd.model.trainableWeights.map((w) => w.read() as tf.Variable);
}

/**
 * One training forward pass: BCE between P(patched) and the labels (1 = CutPaste-augmented), computed from
 * logits for stability. Call inside optimizer.minimize / tf.variableGrads. images [N,S,S,3] in [0,1], labels [N].
 */
export function lpdTrainingLoss(lpd: LpdModel, images: tf.Tensor4D, labels: tf.Tensor1D): BceTerms {
  const logits = lpd.logits.apply(images, { training: true }) as tf.Tensor2D;
  return bceWithLogitsLoss(logits, labels);
}

/** Disposes every weight once: the head layers are shared by `head`, `model` and `logits`. */
export function disposeLpd(lpd: LpdModel): void {
  lpd.head.dispose();
  lpd.model.dispose();
}
