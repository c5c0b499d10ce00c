// LPD fine-tuning step: CutPaste's BCE on the head plus a localisation term from the real masks, measured with
// the GDE the parent localises with (fixed for the run): embeddings inside a real defect are pushed to at least
// LPD_DEFECT_MARGIN x the batch's mean normal distance, max(0, k mN - d) / mN, and normal embeddings are pulled
// towards the density, LPD_PULL_WEIGHT x d / mN, which anchors the features the GDE is refitted on. mN carries no
// gradient. Batch norm runs in inference mode: its moving statistics must not drift towards defect images.
import * as tf from '@tensorflow/tfjs';
import type { LpdConfig } from '../model/config.js';
import { lpdGdeScores, type GdeState } from '../model/gde.js';
import { bceWithLogitsLoss } from '../model/loss.js';
import { aggregateFeatures } from '../../../../models/components/feature-extractor-aggregation.js';
import { resolveFeatureLayer } from '../../../../models/components/feature-extractor.js';
import type { LpdModel } from '../model/model.js';

/** Identity forward, zero gradient (tfjs has no stop_gradient op). */
const stopGradient = tf.customGrad(((x: tf.Tensor) => ({ value: x.clone(), gradFunc: (dy: tf.Tensor) => tf.zerosLike(dy) })) as unknown as Parameters<typeof tf.customGrad>[0]) as (x: tf.Tensor) => tf.Tensor;

/** Defect cells should lie this many mean normal distances from the normal density. */
export const LPD_DEFECT_MARGIN = 3;
/** Weight of the pull on normal cells next to the push on defect cells (measured on the demo data: 0 drifts). */
export const LPD_PULL_WEIGHT = 2;

/** images [N,S,S,3] -> [logit [N,1], one map per cfg.gdeLayers entry]: a view sharing LPD's layers (one forward for both). */
export function lpdJointModel(lpd: Pick<LpdModel, 'logits' | 'backbone'>, cfg: Pick<LpdConfig, 'gdeLayers'>): tf.LayersModel {
  const maps = cfg.gdeLayers.map((l) => resolveFeatureLayer(lpd.backbone, l).output as tf.SymbolicTensor);
  return tf.model({ inputs: lpd.logits.inputs, outputs: [lpd.logits.outputs[0] as tf.SymbolicTensor, ...maps], name: 'lpd_finetune_joint' });
}

export interface LpdFinetuneLosses {
  loss: number;
  patchedTerm: number;
  normalTerm: number;
  /** The localisation term (0 without real defects or GDE). */
  locTerm: number;
  accuracy: number;
}

/**
 * joint: images -> [logit [B,1], ...cfg.gdeLayers maps] sharing LPD's layers. images [B,S,S,3], labels [B];
 * cells: per embedding location of every row, pos (normal) and neg (real defect) weights [B*h*w].
 */
export async function lpdFinetuneStep(
  joint: tf.LayersModel,
  optimizer: tf.Optimizer,
  variables: tf.Variable[],
  cfg: Pick<LpdConfig, 'gdeDim' | 'patchSize' | 'weightDecay'>,
  batch: { images: tf.Tensor4D; labels: tf.Tensor1D; pos: tf.Tensor1D; neg: tf.Tensor1D },
  gde: GdeState | null,
  locWeight: number,
): Promise<LpdFinetuneLosses> {
  let kept: tf.Tensor[] = [];
  const { value, grads } = tf.variableGrads(() => {
    // Inference mode: frozen batch statistics (a drift of them alone cost 0.05 Pixel-AP on a demo category) and no dropout.
    const [logits, ...maps] = joint.apply(batch.images, { training: false }) as tf.Tensor[];
    const t = bceWithLogitsLoss(logits as tf.Tensor, batch.labels);
    const correct = (logits as tf.Tensor).reshape([-1]).greater(0).toFloat().equal(batch.labels).toFloat().mean();
    let loc: tf.Scalar = tf.scalar(0);
    if (gde && locWeight > 0) {
      const emb = aggregateFeatures(maps as tf.Tensor4D[], { featureDim: cfg.gdeDim, patchSize: cfg.patchSize });
      const d = lpdGdeScores(gde, emb).reshape([-1]);
      const meanNormal = stopGradient(d.mul(batch.pos).sum().div(batch.pos.sum().maximum(1))).maximum(1e-6);
      const push = tf.relu(meanNormal.mul(LPD_DEFECT_MARGIN).sub(d)).div(meanNormal);
      const pull = d.div(meanNormal).mul(batch.pos).sum().div(batch.pos.sum().maximum(1));
      loc = push.mul(batch.neg).sum().div(batch.neg.sum().maximum(1)).add(pull.mul(LPD_PULL_WEIGHT)) as tf.Scalar;
    }
    kept = [tf.keep(t.patchedTerm), tf.keep(t.normalTerm), tf.keep(loc), tf.keep(correct)];
    return t.total.add(loc.mul(locWeight)) as tf.Scalar;
  }, variables);
  tf.tidy(() => {
    const decayed: tf.NamedTensorMap = {};
    for (const v of variables) {
      const g = grads[v.name] as tf.Tensor;
      decayed[v.name] = cfg.weightDecay > 0 ? g.add(v.mul(cfg.weightDecay)) : g;
    }
    optimizer.applyGradients(decayed);
  });
  const stacked = tf.tidy(() => tf.stack([value, ...kept]));
  tf.dispose([value, ...kept, ...Object.values(grads)]);
  // Asynchronous: a GPU backend (webgpu) cannot read synchronously in Node.
  const values = await stacked.data().finally(() => stacked.dispose());
  return { loss: values[0] as number, patchedTerm: values[1] as number, normalTerm: values[2] as number, locTerm: values[3] as number, accuracy: values[4] as number };
}
