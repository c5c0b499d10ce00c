// Exact nearest-neighbour distances of query vectors to a memory bank, as batched matmuls:
// ||q - m||^2 = |q|^2 - 2 q.m + |m|^2, minimised over the bank in chunks so memory stays bounded.
import * as tf from '@tensorflow/tfjs';
import { MadenetError } from '../../../core/errors.js';

/** Bank rows per matmul chunk by default: bounds the [Q, chunk] distance matrix (the onnx head chunks the same). */
export const KNN_CHUNK_ROWS = 4096;

export interface KnnOptions {
  /** Bank rows per matmul chunk (bounds the [Q, chunk] distance matrix). */
  chunk?: number;
}

/**
 * queries [Q,D], bank [M,D] -> Euclidean distance of each query to its nearest bank row, [Q].
 * Also returns the index of that row (for PatchCore's reweighting).
 */
export function nearestDistances(queries: tf.Tensor2D, bank: tf.Tensor2D, opts: KnnOptions = {}): { dist: tf.Tensor1D; index: tf.Tensor1D } {
  const [, d] = queries.shape;
  const [m, bd] = bank.shape;
  if (d !== bd) throw new MadenetError('E_CONFIG', `kNN query dim ${d} differs from the memory bank's ${bd}; expected the same feature dim.`);
  if (m === 0) throw new MadenetError('E_CONFIG', 'The memory bank is empty; expected at least one row.');
  const chunk = Math.max(1, opts.chunk ?? KNN_CHUNK_ROWS);
  return tf.tidy(() => {
    const qq = tf.sum(tf.square(queries), 1, true); // [Q,1]
    // The bank transposed once ([D,M]): wasm's BatchMatMul is fast (XNNPACK) only without transpose flags.
    const bankT = tf.transpose(bank);
    let best: tf.Tensor1D | null = null;
    let bestIdx: tf.Tensor1D | null = null;
    for (let start = 0; start < m; start += chunk) {
      const size = Math.min(chunk, m - start);
      // Each chunk in its own tidy: its [Q,size] intermediates are freed before the next chunk's, so the peak is
      // one chunk's whatever the bank size (the outer tidy alone kept every chunk's until the end).
      const [partMin, partIdx] = tf.tidy(() => {
        const part = size === m ? bankT : bankT.slice([0, start], [d, size]); // [D,size]
        const mm = tf.sum(tf.square(part), 0, true); // [1,size]
        const d2 = qq.add(mm).sub(tf.matMul(queries, part).mul(2)); // [Q,size]
        return [tf.min(d2, 1), tf.argMin(d2, 1).add(start).toFloat()] as [tf.Tensor1D, tf.Tensor1D];
      });
      if (best === null || bestIdx === null) {
        best = partMin;
        bestIdx = partIdx;
      } else {
        const better: tf.Tensor = partMin.less(best);
        const [nextBest, nextIdx] = [tf.where(better, partMin, best), tf.where(better, partIdx, bestIdx)] as [tf.Tensor1D, tf.Tensor1D];
        tf.dispose([better, partMin, partIdx, best, bestIdx]);
        best = nextBest;
        bestIdx = nextIdx;
      }
    }
    return { dist: tf.sqrt(tf.relu(best as tf.Tensor1D)) as tf.Tensor1D, index: (bestIdx as tf.Tensor1D).toInt() as tf.Tensor1D };
  });
}
