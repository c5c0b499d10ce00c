// In-memory memo of a frozen feature function, keyed by each image's pixels: validation during training runs
// the same held-out normals and (seeded) synthetic defects through a frozen backbone every epoch, so after the
// first epoch their features are read back instead of recomputed. Synchronous (it sits inside a Detector's
// predict); bounded by a byte cap, beyond which images are simply recomputed.
import { createHash } from 'node:crypto';
import * as tf from '@tensorflow/tfjs';
import type { AsyncDetector, BatchOutput } from '../engines/async-detector.js';

export interface FrozenMemoStats {
  hits: number;
  misses: number;
  /** Bytes of features held. */
  bytes: number;
}

export interface FrozenMemo {
  /** images [N,S,S,3] -> features [N,...] exactly as `fn` gives them (a new tensor; the caller disposes it). */
  (images: tf.Tensor4D): tf.Tensor;
  readonly stats: FrozenMemoStats;
}

/** sha256 of one image's float32 pixels: equal keys mean bit-identical inputs, hence identical features. */
export function imageKey(data: Float32Array, offset: number, length: number): string {
  return createHash('sha256').update(Buffer.from(data.buffer, data.byteOffset + offset * 4, length * 4)).digest('hex');
}

/**
 * Wraps `fn` (frozen: its output for an image depends on that image alone, as a backbone in inference mode
 * does) so that images seen before are not recomputed. `capBytes` 0 turns the memo off (every call runs fn).
 */
export function memoizeFrozen(fn: (images: tf.Tensor4D) => tf.Tensor, capBytes: number): FrozenMemo {
  const memo = new Map<string, Float32Array>();
  const stats: FrozenMemoStats = { hits: 0, misses: 0, bytes: 0 };
  let perShape: number[] | null = null;
  const run = (images: tf.Tensor4D): tf.Tensor => {
    if (capBytes <= 0) return fn(images);
    const n = images.shape[0];
    const pixels = images.dataSync() as Float32Array;
    const per = pixels.length / Math.max(n, 1);
    const keys = Array.from({ length: n }, (_, i) => imageKey(pixels, i * per, per));
    if (perShape && keys.every((k) => memo.has(k))) {
      stats.hits += n;
      const size = (memo.get(keys[0] as string) as Float32Array).length;
      const buf = new Float32Array(n * size);
      keys.forEach((k, i) => buf.set(memo.get(k) as Float32Array, i * size));
      return tf.tensor(buf, [n, ...perShape]);
    }
    // Any miss runs the whole batch (one backbone call) and remembers what fits.
    stats.misses += n;
    const out = fn(images);
    perShape = out.shape.slice(1);
    const data = out.dataSync() as Float32Array;
    const size = data.length / Math.max(n, 1);
    keys.forEach((k, i) => {
      if (memo.has(k) || stats.bytes + size * 4 > capBytes) return;
      memo.set(k, data.slice(i * size, (i + 1) * size));
      stats.bytes += size * 4;
    });
    return out;
  };
  return Object.assign(run, { stats });
}

/**
 * An AsyncDetector whose outputs are remembered per image (by its pixels' sha256): a frozen detector (PatchCore:
 * a frozen backbone and a fixed bank) gives the same score and map for a bit-identical image, so validation's two
 * passes over the defects, and an ensemble validated after its members on the same images, read them back.
 * Misses of a batch run as one call; what exceeds `capBytes` is recomputed next time.
 */
export function memoizeAsyncDetector(d: AsyncDetector, capBytes: number): AsyncDetector & { readonly stats: FrozenMemoStats } {
  const memo = new Map<string, { score: number; map: Float32Array }>();
  const stats: FrozenMemoStats = { hits: 0, misses: 0, bytes: 0 };
  const area = d.imageSize * d.imageSize;
  return {
    kind: d.kind,
    category: d.category,
    imageSize: d.imageSize,
    artifactDir: d.artifactDir,
    engine: d.engine,
    stats,
    async predictAsync(images: Float32Array, n: number): Promise<BatchOutput> {
      const per = images.length / Math.max(n, 1);
      const keys = Array.from({ length: n }, (_, i) => imageKey(images, i * per, per));
      const missing = keys.flatMap((k, i) => (memo.has(k) ? [] : [i]));
      const fresh = new Map<number, { score: number; map: Float32Array }>();
      if (missing.length > 0) {
        const buf = missing.length === n ? images : new Float32Array(missing.length * per);
        if (buf !== images) missing.forEach((i, j) => buf.set(images.subarray(i * per, (i + 1) * per), j * per));
        const out = await d.predictAsync(buf, missing.length);
        missing.forEach((i, j) => {
          const entry = { score: out.scores[j] as number, map: out.maps.slice(j * area, (j + 1) * area) };
          fresh.set(i, entry);
          const k = keys[i] as string;
          if (!memo.has(k) && stats.bytes + area * 4 <= capBytes) {
            memo.set(k, entry);
            stats.bytes += area * 4;
          }
        });
      }
      stats.misses += missing.length;
      stats.hits += n - missing.length;
      const scores = new Float32Array(n);
      const maps = new Float32Array(n * area);
      keys.forEach((k, i) => {
        const e = (fresh.get(i) ?? memo.get(k)) as { score: number; map: Float32Array };
        scores[i] = e.score;
        maps.set(e.map, i * area);
      });
      return { scores, maps };
    },
    dispose: () => d.dispose(),
  };
}
