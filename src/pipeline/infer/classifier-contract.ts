// The contract infer and build-perfmap expect of the ISM pre-classifier (artifact kind 'classifier'). The network
// lives in src/models/classifier, its loader in detectors/classifier.ts (reached lazily through detectors/registry.ts).
import type * as tf from '@tensorflow/tfjs';

export const CLASSIFIER_KIND = 'classifier';

export interface Classifier {
  /** Category names in the order of the softmax columns. */
  readonly categories: string[];
  /** Square input side in pixels. */
  readonly imageSize: number;
  /**
   * Synchronous; call inside tf.tidy or dispose the result.
   * @param images [N,S,S,3] float32 in [0,1], S = imageSize
   * @returns [N,C] softmax probabilities, C = categories.length
   */
  predict(images: tf.Tensor4D): tf.Tensor2D;
  dispose(): void;
}

export type ClassifierLoader = (dir: string) => Promise<Classifier>;

