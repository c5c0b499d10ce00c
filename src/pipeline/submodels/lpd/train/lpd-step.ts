// One LPD optimiser step: BCE between P(patched) and the labels over backbone and head, PyTorch-style weight
// decay (wd * w added to every gradient, as CutPaste's SGD), then the optimizer's update.
import * as tf from '@tensorflow/tfjs';
import { bceWithLogitsLoss } from '../model/loss.js';
import type { LpdModel } from '../model/model.js';

export interface LpdStepLosses {
  loss: number;
  patchedTerm: number;
  normalTerm: number;
  /** Share of the batch classified right at p = 0.5 (a cheap health signal). */
  accuracy: number;
}

/** images [B,S,S,3] in [0,1], labels [B] in {0,1} (not disposed here). */
export async function lpdTrainStep(
  lpd: LpdModel,
  optimizer: tf.Optimizer,
  variables: tf.Variable[],
  images: tf.Tensor4D,
  labels: tf.Tensor1D,
  weightDecay: number,
): Promise<LpdStepLosses> {
  let kept: tf.Tensor[] = [];
  const { value, grads } = tf.variableGrads(() => {
    const logits = lpd.logits.apply(images, { training: true }) as tf.Tensor2D;
    // lpdTrainingLoss's formula, from logits kept here for the accuracy too.
    const t = bceWithLogitsLoss(logits, labels);
    const correct = logits.reshape([-1]).greater(0).toFloat().equal(labels).toFloat().mean();
    kept = [tf.keep(t.patchedTerm), tf.keep(t.normalTerm), tf.keep(correct)];
    return t.total;
  }, variables);
  tf.tidy(() => {
    const decayed: tf.NamedTensorMap = {};
    for (const v of variables) {
      const g = grads[v.name] as tf.Tensor;
      decayed[v.name] = weightDecay > 0 ? g.add(v.mul(weightDecay)) : g;
    }
    optimizer.applyGradients(decayed);
  });
  const stacked = tf.tidy(() => tf.stack([value, ...kept]));
  tf.dispose([value, ...kept, ...Object.values(grads)]);
  // Asynchronous: a GPU backend (webgpu) cannot read synchronously in Node.
  const values = await stacked.data().finally(() => stacked.dispose());
  return { loss: values[0] as number, patchedTerm: values[1] as number, normalTerm: values[2] as number, accuracy: values[3] as number };
}
