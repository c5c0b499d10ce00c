// PatchCore's image-score reweighting (Roth et al. 2022, eq. 7; as anomalib implements it): the image's most
// anomalous patch q, at distance s* from its nearest bank row m*, is weighted by
//   w = 1 - exp(||q - m*||) / sum_{m in N_b(m*)} exp(||q - m||),
// N_b(m*) being m* and its b-1 nearest bank rows. A q that sits next to a lone bank row (a rare normal pattern,
// far from the rest of the bank) keeps nearly all of s*; one whose m* lies in a dense part of the bank, among
// rows about as near to q, loses up to 1/b of it. Tensor maths only.
import * as tf from '@tensorflow/tfjs';
import { MadenetError } from '../../../core/errors.js';

/**
 * Weights [N] in [1 - 1/b, 1) (paper eq. 7) for each image's most anomalous patch.
 * query [N,D]: that patch's feature per image; nearest [N] (int32): the index of its nearest bank row;
 * bank [M,D]; neighbours b >= 2 (clamped to M). Euclidean distances throughout, as in the kNN.
 */
export function reweightFactors(query: tf.Tensor2D, nearest: tf.Tensor1D, bank: tf.Tensor2D, neighbours: number): tf.Tensor1D {
  const [n, d] = query.shape;
  const [m, bd] = bank.shape;
  if (d !== bd) throw new MadenetError('E_CONFIG', `Reweighting query dim ${d} differs from the memory bank's ${bd}; expected the same feature dim.`);
  if (nearest.shape[0] !== n) throw new MadenetError('E_CONFIG', `Reweighting got ${nearest.shape[0]} nearest-row indices for ${n} queries; expected one per query.`);
  if (!(Number.isInteger(neighbours) && neighbours >= 2)) throw new MadenetError('E_CONFIG', `Reweighting neighbours is ${neighbours}; expected an integer >= 2 (1 means no reweighting).`);
  const b = Math.min(neighbours, m);
  if (b < 2) return tf.ones([n]) as tf.Tensor1D; // A one-row bank: m* has no neighbours, so nothing to weigh against.
  return tf.tidy(() => {
    const idx = nearest.toInt();
    const star = tf.gather(bank, idx); // [N,D]
    const bankT = tf.transpose(bank); // [D,M]
    const mm = tf.sum(tf.square(bankT), 0, true); // [1,M]
    // Squared distances of m* to every bank row, m* itself pushed out so that the b-1 others are its neighbours.
    const d2 = tf.sum(tf.square(star), 1, true).add(mm).sub(tf.matMul(star, bankT).mul(2)); // [N,M]
    const self = tf.oneHot(idx, m).toFloat().mul(1e30);
    const others = tf.topk(d2.add(self).neg(), b - 1).indices; // [N,b-1]
    const support = tf.concat([idx.reshape([n, 1]), others], 1); // [N,b], m* first
    const rows = tf.gather(bank, support.reshape([n * b])).reshape([n, b, d]);
    const dist = tf.sqrt(tf.relu(tf.sum(tf.square(rows.sub(query.reshape([n, 1, d]))), 2))); // [N,b]
    return tf.sub(1, tf.softmax(dist, 1).slice([0, 0], [n, 1]).reshape([n])) as tf.Tensor1D;
  });
}

/**
 * For each image, the feature and nearest-bank index of its patch with the largest kNN distance.
 * patches [N,P,D], dist [N,P], index [N,P] (int32) -> { query [N,D], nearest [N] }.
 */
export function maxPatchOf(patches: tf.Tensor3D, dist: tf.Tensor2D, index: tf.Tensor2D): { query: tf.Tensor2D; nearest: tf.Tensor1D } {
  const [n, p, d] = patches.shape;
  const [query, nearest] = tf.tidy(() => {
    const arg = tf.argMax(dist, 1).toInt(); // [N]
    const flat = tf.range(0, n, 1, 'int32').mul(tf.scalar(p, 'int32')).add(arg);
    return [tf.gather(patches.reshape([n * p, d]), flat), tf.gather(index.reshape([n * p]).toInt(), flat)];
  }) as [tf.Tensor2D, tf.Tensor1D];
  return { query, nearest };
}
