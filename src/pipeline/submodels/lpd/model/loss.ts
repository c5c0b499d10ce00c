// LPD's binary cross-entropy between P(patched) and the label (1 = CutPaste-augmented, 0 = normal).
// Pure tensor maths on probabilities or logits; no model calls here.
import * as tf from '@tensorflow/tfjs';

/** Probabilities are clipped to [EPS, 1 - EPS] before the log, as Keras does. */
export const BCE_EPSILON = 1e-7;

export interface BceTerms {
  /** total = patchedTerm + normalTerm (scalar). */
  total: tf.Scalar;
  /** -mean_i y_i log p_i: the loss on patched images. */
  patchedTerm: tf.Scalar;
  /** -mean_i (1 - y_i) log(1 - p_i): the loss on normal images. */
  normalTerm: tf.Scalar;
}

/**
 * BCE = -mean_i [ y_i log p_i + (1 - y_i) log(1 - p_i) ], p = P(patched) [N,1] or [N], y in {0,1} same shape.
 * Both terms are averaged over all N images (so they add up to the usual BCE).
 */
export function bceLoss(prob: tf.Tensor, labels: tf.Tensor): BceTerms {
  const [patchedTerm, normalTerm] = tf.tidy(() => {
    const p = tf.clipByValue(prob, BCE_EPSILON, 1 - BCE_EPSILON);
    const y = labels.reshape(p.shape).toFloat();
    const patched = y.mul(p.log()).mean().neg() as tf.Scalar;
    const normal = tf.scalar(1).sub(y).mul(tf.scalar(1).sub(p).log()).mean().neg() as tf.Scalar;
    return [patched, normal];
  });
  return { total: patchedTerm.add(normalTerm) as tf.Scalar, patchedTerm, normalTerm };
}

/**
 * The same BCE from logits z (p = sigmoid(z)), without clipping and stable for large |z|:
 * -y log sigmoid(z) = y softplus(-z),  -(1-y) log(1 - sigmoid(z)) = (1-y) softplus(z).
 */
export function bceWithLogitsLoss(logits: tf.Tensor, labels: tf.Tensor): BceTerms {
  const [patchedTerm, normalTerm] = tf.tidy(() => {
    const y = labels.reshape(logits.shape).toFloat();
    const patched = y.mul(tf.softplus(logits.neg())).mean() as tf.Scalar;
    const normal = tf.scalar(1).sub(y).mul(tf.softplus(logits)).mean() as tf.Scalar;
    return [patched, normal];
  });
  return { total: patchedTerm.add(normalTerm) as tf.Scalar, patchedTerm, normalTerm };
}
