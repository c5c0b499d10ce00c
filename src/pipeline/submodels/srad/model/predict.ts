// SRAD inference on a batch: reconstruction, anomaly map and image score in one synchronous call.
// BN uses its moving statistics; the caller disposes the returned tensors.
import * as tf from '@tensorflow/tfjs';
import { sradAnomalyMap, sradImageScore } from './anomaly-map.js';
import type { SradConfig } from './config.js';
import { type SradModels, sradForward } from './model.js';

export type SradPrediction = {
  /** [N,S,S,3] */
  recon: tf.Tensor4D;
  /** [N,S,S] anomaly probability in [0,1]. */
  map: tf.Tensor3D;
  /** [N] max of the mean-filtered map. */
  score: tf.Tensor1D;
};

export function sradPredict(models: SradModels, cfg: SradConfig, image: tf.Tensor4D): SradPrediction {
  return tf.tidy(() => {
    const { recon, maskPred } = sradForward(models, image, false);
    const map = sradAnomalyMap(maskPred);
    return { recon, map, score: sradImageScore(map, cfg.scoreFilterSize) };
  });
}
