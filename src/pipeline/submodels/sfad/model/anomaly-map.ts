// SFAD anomaly maps and image scores from patch scores -D(q): bilinear upsampling to the image, Gaussian
// smoothing (sigma 4 at 288 px, scaled), image score = max of the map. Stateless; no model calls.
import * as tf from '@tensorflow/tfjs';
import { patchScoresToMap } from '../../../../models/components/gaussian-smooth.js';

/** Patch scores [N,h,w,1] (= -D(q), higher = more anomalous) -> maps [N,S,S], S = imageSize. */
export function sfadAnomalyMap(patchScores: tf.Tensor4D, imageSize: number, sigma: number): tf.Tensor3D {
  return patchScoresToMap(patchScores, imageSize, sigma);
}

/** Maps [N,H,W] -> image scores [N] = max over the map. */
export function sfadImageScore(map: tf.Tensor3D): tf.Tensor1D {
  return tf.max(map, [1, 2]) as tf.Tensor1D;
}
