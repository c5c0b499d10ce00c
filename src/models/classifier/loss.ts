// The pre-classifier's training loss: label-smoothed categorical cross-entropy on softmax probabilities.
// Pure tensor maths; call inside tf.tidy (or an optimiser's minimize).
import * as tf from '@tensorflow/tfjs';

/** Probabilities are clipped to [EPS, 1] before the log so a confident wrong guess costs log(1/EPS), not infinity. */
const EPS = 1e-7;

/**
 * Smoothed targets q = (1 - eps) * onehot(y) + eps / K, then
 *   CE = mean_n [ - sum_k q_nk * log(max(p_nk, 1e-7)) ]
 * probs: [N,K] softmax output; labels: [N] int32 class indices in [0, K). Returns a scalar.
 */
export function crossEntropyLoss(probs: tf.Tensor2D, labels: tf.Tensor1D, labelSmoothing = 0): tf.Scalar {
  return tf.tidy(() => {
    const k = probs.shape[1];
    const onehot = tf.oneHot(labels.toInt(), k);
    const q = onehot.mul(1 - labelSmoothing).add(labelSmoothing / k);
    const logp = probs.clipByValue(EPS, 1).log();
    return q.mul(logp).sum(1).neg().mean() as tf.Scalar;
  });
}

/** Fraction of samples whose arg-max class equals the label: [N,K], [N] -> scalar in [0,1]. */
export function accuracy(probs: tf.Tensor2D, labels: tf.Tensor1D): tf.Scalar {
  return tf.tidy(() => probs.argMax(1).equal(labels.toInt()).toFloat().mean() as tf.Scalar);
}
