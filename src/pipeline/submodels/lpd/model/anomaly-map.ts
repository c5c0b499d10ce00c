// LPD anomaly maps: Mahalanobis distance of each location's patch embedding under the GDE fitted on normal
// training images, upsampled and smoothed to image size. Stateless apart from the GDE passed in.
import type * as tf from '@tensorflow/tfjs';
import { patchScoresToMap } from '../../../../models/components/gaussian-smooth.js';
import { lpdGdeScores, type GdeState } from './gde.js';

/** Embeddings [N,h,w,D] (from lpdEmbeddings) -> maps [N,S,S], S = imageSize; sigma as for SFAD. */
export function lpdAnomalyMap(gde: GdeState, embeddings: tf.Tensor4D, imageSize: number, sigma: number): tf.Tensor3D {
  const scores = lpdGdeScores(gde, embeddings);
  try {
    return patchScoresToMap(scores, imageSize, sigma);
  } finally {
    scores.dispose();
  }
}
