// PatchCore's locally aware patch features: each backbone map is averaged over a 3x3 neighbourhood
// (stride 1), resized bilinearly to the first (shallowest) map's grid, concatenated over channels.
// Tensor maths only; which backbone and which layers is the caller's business.
import * as tf from '@tensorflow/tfjs';
import { MadenetError } from '../../../core/errors.js';
import { localAggregate } from '../../../../models/components/feature-extractor-aggregation.js';

/** Backbone maps [N,h_i,w_i,C_i], shallow first -> patch features [N,h,w,sum C_i] on the first map's grid. */
export function patchFeatures(maps: readonly tf.Tensor4D[], patchSize = 3): tf.Tensor4D {
  const first = maps[0];
  if (!first) throw new MadenetError('E_CONFIG', 'No feature maps for patch features; expected at least one backbone layer.');
  return tf.tidy(() => {
    const size: [number, number] = [first.shape[1], first.shape[2]];
    const parts = maps.map((m) => {
      const local = localAggregate(m, patchSize);
      return local.shape[1] === size[0] && local.shape[2] === size[1] ? local : tf.image.resizeBilinear(local, size, false, true);
    });
    return (parts.length === 1 ? (parts[0] as tf.Tensor4D) : tf.concat(parts, 3)) as tf.Tensor4D;
  });
}

/** A global descriptor per image: [N,h,w,C] -> [N,C] spatial mean. */
export function globalFeatures(map: tf.Tensor4D): tf.Tensor2D {
  return tf.mean(map, [1, 2]) as tf.Tensor2D;
}

/**
 * Appends each patch's position to its features: [N,h,w,D] -> [N,h,w,D+2], the extra channels being
 * weight x (row, column) as fractions of the grid side (cell centres, in (0,1)). weight 0 returns a copy.
 */
export function withPositions(patches: tf.Tensor4D, weight: number): tf.Tensor4D {
  if (weight === 0) return patches.clone();
  return tf.tidy(() => {
    const [n, h, w] = patches.shape;
    const rows = tf.range(0, h).add(0.5).div(h).mul(weight).reshape([1, h, 1, 1]).tile([n, 1, w, 1]);
    const cols = tf.range(0, w).add(0.5).div(w).mul(weight).reshape([1, 1, w, 1]).tile([n, h, 1, 1]);
    return tf.concat([patches, rows, cols], 3) as tf.Tensor4D;
  });
}
