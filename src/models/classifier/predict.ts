// Inference helpers of the pre-classifier: probabilities in inference mode and the top-1 decision per image.
// The classifier has no anomaly map; its output feeds the ISM performance map (src/pipeline/perfmap).
import * as tf from '@tensorflow/tfjs';

/** [N,S,S,3] in [0,1] -> [N,K] softmax probabilities (BN uses moving statistics, no dropout). Caller disposes. */
export function classifierProbs(model: tf.LayersModel, images: tf.Tensor4D): tf.Tensor2D {
  return tf.tidy(() => model.apply(images, { training: false }) as tf.Tensor2D);
}

export interface Top1 {
  /** Arg-max class per image. */
  index: Int32Array;
  /** Its probability. */
  confidence: Float32Array;
}

/** Reads [N,K] probabilities into per-image arg-max and confidence (disposes nothing it did not create). */
export async function classifierTop1(probs: tf.Tensor2D): Promise<Top1> {
  const [idx, conf] = tf.tidy(() => [probs.argMax(1), probs.max(1)]);
  const index = Int32Array.from(await (idx as tf.Tensor).data());
  const confidence = Float32Array.from(await (conf as tf.Tensor).data());
  idx?.dispose();
  conf?.dispose();
  return { index, confidence };
}
