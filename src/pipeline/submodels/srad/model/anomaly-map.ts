// SRAD's anomaly map (the detector's anomaly channel) and image score (max of the 21x21 mean-filtered map,
// zero padding counted in the mean as torch avg_pool2d does in DRAEM). Stateless tensor maths.
import * as tf from '@tensorflow/tfjs';
import { boxWindow, separableFilter } from './filters.js';

/** maskPred [N,H,W,2] softmax -> channel 1, or [N,H,W,1] sigmoid -> channel 0; returns [N,H,W] in [0,1]. */
export function sradAnomalyMap(maskPred: tf.Tensor4D): tf.Tensor3D {
  return tf.tidy(() => {
    const c = maskPred.shape[3];
    if (c !== 1 && c !== 2) throw new Error(`sradAnomalyMap: expected 1 or 2 mask channels, got ${c}`);
    const [n, h, w] = maskPred.shape;
    return maskPred.slice([0, 0, 0, c - 1], [n, h, w, 1]).reshape([n, h, w]) as tf.Tensor3D;
  });
}

/**
 * The size x size mean filter, stride 1, zero border of size//2, divisor size^2 everywhere (count_include_pad),
 * i.e. torch.nn.functional.avg_pool2d(m, size, 1, size // 2). [N,H,W] -> [N,H,W].
 */
export function meanFilter(map: tf.Tensor3D, size = 21): tf.Tensor3D {
  return tf.tidy(() => {
    const [n, h, w] = map.shape;
    return separableFilter(map.reshape([n, h, w, 1]), boxWindow(size)).reshape([n, h, w]) as tf.Tensor3D;
  });
}

/** Image score: max over the mean-filtered map. [N,H,W] -> [N]. */
export function sradImageScore(map: tf.Tensor3D, filterSize = 21): tf.Tensor1D {
  return tf.tidy(() => meanFilter(map, filterSize).max([1, 2]) as tf.Tensor1D);
}
