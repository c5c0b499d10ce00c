// Frozen-backbone features of a list of samples, computed once per image: decoded and run in batches,
// read through a FeatureCache when one is given (keyed by file content + extractor), kept in memory as
// one Float32Array per output per image. The caller owns what the features mean.
import type { RgbImage } from '../io/image.js';
import { streamSamples, type Sample } from '../io/dataset.js';
import { sampleKey } from '../io/tiles.js';
import { fileSha256, type FeatureCache } from './feature-cache.js';

export interface ExtractOptions {
  size: number;
  batchSize: number;
  /** Turns a batch of images into, per image, its feature arrays (same count and order for every image). */
  compute: (images: RgbImage[]) => Promise<Float32Array[][]>;
  cache?: { store: FeatureCache; extractorKey: string } | null;
  onImage?: (done: number, total: number) => void;
}

/** Per sample (in order): its feature arrays. */
export async function extractOnce(samples: readonly Sample[], opts: ExtractOptions): Promise<Float32Array[][]> {
  const out: (Float32Array[] | null)[] = new Array<Float32Array[] | null>(samples.length).fill(null);
  const keys: (string | null)[] = new Array<string | null>(samples.length).fill(null);
  const todo: number[] = [];
  for (const [i, s] of samples.entries()) {
    if (opts.cache) {
      // A tile's features are those of its region: the region joins the file's content in the key.
      const content = await fileSha256(s.path);
      const key = opts.cache.store.key(s.region ? `${content}#${sampleKey({ path: '', region: s.region })}` : content, opts.cache.extractorKey);
      keys[i] = key;
      const hit = await opts.cache.store.get(key);
      if (hit) {
        out[i] = hit;
        continue;
      }
    }
    todo.push(i);
  }
  let done = samples.length - todo.length;
  let chunk: { index: number; image: RgbImage }[] = [];
  const flush = async (): Promise<void> => {
    if (chunk.length === 0) return;
    const feats = await opts.compute(chunk.map((c) => c.image));
    for (const [k, c] of chunk.entries()) {
      const f = feats[k] as Float32Array[];
      out[c.index] = f;
      const key = keys[c.index];
      if (opts.cache && key) await opts.cache.store.put(key, f);
    }
    done += chunk.length;
    opts.onImage?.(done, samples.length);
    chunk = [];
  };
  let n = 0;
  for await (const d of streamSamples(todo.map((i) => samples[i] as Sample), { size: opts.size })) {
    chunk.push({ index: todo[n++] as number, image: d.image });
    if (chunk.length === opts.batchSize) await flush();
  }
  await flush();
  return out as Float32Array[][];
}
