// PatchCore's greedy coreset (k-centre) subsampling of the memory bank: start from one seeded row, then
// repeatedly take the row farthest from everything chosen so far. Distances are computed on a seeded
// Gaussian random projection (Johnson-Lindenstrauss, as PatchCore does) so each step is one [N,P] x [P]
// product; the chosen rows keep their full features. One scalar is read back per chosen row.
import * as tf from '@tensorflow/tfjs';
import { MadenetError } from '../../../core/errors.js';
import { Rng } from '../../../core/random.js';

export interface CoresetOptions {
  /** Rows to keep (clamped to the bank size). */
  size: number;
  seed: number;
  /** Dimension of the random projection used for distances; 0 or >= D uses the features as they are. */
  projectionDim?: number;
}

/** Seeded Gaussian projection matrix [D,P] with entries N(0, 1/P). */
export function projectionMatrix(dim: number, p: number, seed: number): Float32Array {
  const rng = new Rng(seed);
  const w = new Float32Array(dim * p);
  const scale = 1 / Math.sqrt(p);
  for (let i = 0; i < w.length; i++) w[i] = rng.normal() * scale;
  return w;
}

/**
 * features [N,D] -> indices of `size` rows chosen greedily (the first drawn from the seed), in choice order.
 * Deterministic for a given seed, features and backend.
 */
export function greedyCoreset(features: tf.Tensor2D, opts: CoresetOptions): Int32Array {
  const [rows, dim] = features.shape;
  if (!(Number.isInteger(opts.size) && opts.size >= 1)) {
    throw new MadenetError('E_CONFIG', `Coreset size must be a positive integer, but got ${opts.size}.`);
  }
  if (rows === 0) throw new MadenetError('E_CONFIG', 'Cannot subsample an empty memory bank; expected at least one feature row.');
  const size = Math.min(opts.size, rows);
  const first = new Rng(opts.seed).int(rows);
  const p = opts.projectionDim && opts.projectionDim < dim ? opts.projectionDim : 0;
  const x = tf.tidy(() => (p ? tf.matMul(features, tf.tensor2d(projectionMatrix(dim, p, opts.seed + 1), [dim, p])) : features.clone()));
  const d = p || dim;
  const xx = tf.tidy(() => tf.sum(tf.square(x), 1));
  let minDist: tf.Tensor1D = tf.fill([rows], Number.POSITIVE_INFINITY) as tf.Tensor1D;
  const chosen = new Int32Array(size);
  let current = first;
  try {
    for (let k = 0; k < size; k++) {
      chosen[k] = current;
      if (k === size - 1) break;
      const next = tf.tidy(() => {
        // [d,1], not [1,d] with transposeB: wasm's BatchMatMul takes its fast (XNNPACK) path only without transposes.
        const c = x.slice([current, 0], [1, d]).reshape([d, 1]);
        const dist = xx.sub(tf.matMul(x, c).reshape([rows]).mul(2)).add(tf.sum(tf.square(c))); // [N]
        const updated = tf.minimum(minDist, tf.relu(dist)) as tf.Tensor1D;
        return { updated, arg: tf.argMax(updated) };
      });
      minDist.dispose();
      minDist = next.updated;
      current = next.arg.dataSync()[0] as number;
      next.arg.dispose();
    }
  } finally {
    tf.dispose([x, xx, minDist]);
  }
  return chosen;
}

/**
 * The greedy coreset taken per group of rows and merged: groups[g] lists its rows of `features`, and each group
 * keeps sizes[g] of them (chosen with seed + g). Greedy k-centre costs rows x kept rows, so splitting N rows into
 * G groups of similar content (train-patchcore --tile: the patches of the tiles of one place) costs G times less
 * at the same ratio; the bank is the union of the groups' coresets, in group order. Rows of no group are dropped.
 */
export function groupedGreedyCoreset(features: tf.Tensor2D, groups: readonly (readonly number[])[], sizes: readonly number[], opts: Omit<CoresetOptions, 'size'>): Int32Array {
  if (groups.length !== sizes.length) throw new MadenetError('E_INTERNAL', `${groups.length} coreset groups but ${sizes.length} sizes; expected one size per group.`);
  const out: number[] = [];
  for (const [g, rows] of groups.entries()) {
    if (rows.length === 0) continue;
    const idx = tf.tensor1d(Int32Array.from(rows), 'int32');
    const part = tf.gather(features, idx) as tf.Tensor2D;
    try {
      const chosen = greedyCoreset(part, { ...opts, size: sizes[g] as number, seed: opts.seed + g });
      for (const c of chosen) out.push(rows[c] as number);
    } finally {
      tf.dispose([idx, part]);
    }
  }
  return Int32Array.from(out);
}

/**
 * Rows each group keeps: ceil(ratio x its rows), at least 1, scaled down proportionally (at least 1 each) when
 * their sum would pass maxRows.
 */
export function groupCoresetSizes(groupRows: readonly number[], ratio: number, maxRows: number): number[] {
  const sizes = groupRows.map((n) => Math.min(n, Math.max(1, Math.ceil(ratio * n))));
  const total = sizes.reduce((s, v) => s + v, 0);
  if (total <= maxRows) return sizes;
  const rows = groupRows.reduce((s, v) => s + v, 0);
  return groupRows.map((n) => Math.min(n, Math.max(1, Math.floor((maxRows * n) / rows))));
}
