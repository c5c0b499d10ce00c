// SFAD's truncated L1 loss (SimpleNet): the discriminator D should score adapted normal features q above +m
// and noisy features q~ = q + eps below -m. Pure tensor maths on D's outputs; no model calls here.
import * as tf from '@tensorflow/tfjs';

export interface SfadLossTerms {
  /** L = trueLoss + fakeLoss (scalar). */
  total: tf.Scalar;
  /** mean_i max(0, m - D(q_i)) over normal locations. */
  trueLoss: tf.Scalar;
  /** mean_j max(0, m + D(q~_j)) over noisy locations. */
  fakeLoss: tf.Scalar;
}

/** mean(max(0, m - D(q))): normal features should score at least +m. dTrue: [M,1] or [M]. */
export function sfadTrueLoss(dTrue: tf.Tensor, margin: number): tf.Scalar {
  return tf.tidy(() => tf.relu(tf.scalar(margin).sub(dTrue)).mean() as tf.Scalar);
}

/** mean(max(0, m + D(q~))): noisy features should score at most -m. dFake: [M,1] or [M]. */
export function sfadFakeLoss(dFake: tf.Tensor, margin: number): tf.Scalar {
  return tf.tidy(() => tf.relu(tf.scalar(margin).add(dFake)).mean() as tf.Scalar);
}

/**
 * L = mean_i max(0, m - D(q_i)) + mean_j max(0, m + D(q~_j)), m = margin (0.5 in SimpleNet).
 * Call inside the optimiser's loss closure; the caller disposes the terms it does not return.
 */
export function sfadLoss(dTrue: tf.Tensor, dFake: tf.Tensor, margin: number): SfadLossTerms {
  const trueLoss = sfadTrueLoss(dTrue, margin);
  const fakeLoss = sfadFakeLoss(dFake, margin);
  return { total: trueLoss.add(fakeLoss) as tf.Scalar, trueLoss, fakeLoss };
}
