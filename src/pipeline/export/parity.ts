// The parity check of an export: real images (the built-in demo renderer, or files under --data) through the
// tfjs model and the ONNX file, with the largest score/map differences against a stated tolerance.
import * as tf from '@tensorflow/tfjs';
import { DEMO_CATEGORIES, DEMO_MAX_SIZE, DEMO_MIN_SIZE, demoDefectsFor, renderDemoSample, type DemoCategory } from '../demo-data/index.js';
import { decodeImage } from '../io/decode.js';
import { listImages } from '../io/glob.js';
import { hashSeed } from '../core/random.js';
import type { AsyncClassifier, AsyncDetector } from '../engines/async-detector.js';
import { parityBound, type ParityReport, type ParityTolerance } from './onnx-record.js';
import { concatRows } from '../core/float-rows.js';

const { abs, max, min, round } = Math;

export const DEFAULT_PARITY_IMAGES = 8;
export const DEFAULT_PARITY_TOLERANCE: ParityTolerance = { relative: 1e-4 };
/** Images per forward pass during the check (bounds memory for large presets). */
const PARITY_BATCH = 4;

export interface ParityInputs {
  source: 'demo' | 'data';
  /** Each [S,S,3] float32 in [0,1]. */
  images: Float32Array[];
  names: string[];
}

/** Spread `count` picks evenly over `n` sorted items (first and last included), so good and defect folders both appear. */
function spread(n: number, count: number): number[] {
  if (count >= n) return Array.from({ length: n }, (_, i) => i);
  if (count === 1) return [0];
  return [...new Set(Array.from({ length: count }, (_, i) => round((i * (n - 1)) / (count - 1))))];
}

/** [h,w,3] -> [size,size,3] bilinear (half-pixel), as infer resizes; read asynchronously (GPU backends). */
async function resized(data: Float32Array, side: number, size: number): Promise<Float32Array> {
  if (side === size) return data;
  const t = tf.tidy(() => tf.image.resizeBilinear(tf.tensor3d(data, [side, side, 3]), [size, size], false, true));
  return ((await t.data().finally(() => t.dispose())) as Float32Array).slice();
}

/**
 * Demo images alternate good and defective, over `categories` that are demo categories (all demo categories
 * when none is); or evenly spread files under `data`, decoded at `size`.
 */
export async function parityInputs(opts: { size: number; count: number; seed: number; data?: string; categories: readonly string[] }): Promise<ParityInputs> {
  if (opts.data !== undefined) {
    const files = await listImages(opts.data);
    const picked = spread(files.length, opts.count).map((i) => files[i] as string);
    const images: Float32Array[] = [];
    for (const f of picked) images.push((await decodeImage(f, { size: opts.size })).data);
    return { source: 'data', images, names: picked };
  }
  const demo = opts.categories.filter((c): c is DemoCategory => (DEMO_CATEGORIES as readonly string[]).includes(c));
  const cats: readonly DemoCategory[] = demo.length > 0 ? demo : DEMO_CATEGORIES;
  const side = min(DEMO_MAX_SIZE, max(DEMO_MIN_SIZE, opts.size));
  const images: Float32Array[] = [];
  const names: string[] = [];
  for (let i = 0; i < opts.count; i++) {
    const category = cats[i % cats.length] as DemoCategory;
    const defects = demoDefectsFor(category);
    const defect = i % 2 === 1 ? (defects[((i - 1) / 2) % defects.length] ?? null) : null;
    const seed = hashSeed(`export-parity:${i}`, opts.seed);
    images.push(await resized(renderDemoSample(category, seed, side, defect).image.data, side, opts.size));
    names.push(`demo:${category}/${defect ?? 'good'}/seed-${seed}`);
  }
  return { source: 'demo', images, names };
}

function maxAbs(a: Float32Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = max(m, abs(a[i] as number));
  return m;
}

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) return Number.POSITIVE_INFINITY;
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    const d = abs((a[i] as number) - (b[i] as number));
    // NaN on either side must fail the check, not vanish in max().
    if (Number.isNaN(d)) return Number.POSITIVE_INFINITY;
    if (d > m) m = d;
  }
  return m;
}

type Runner = (images: Float32Array, n: number) => Promise<{ a: Float32Array; b: Float32Array | null }>;

async function inBatches(inputs: ParityInputs, run: Runner): Promise<{ a: Float32Array[]; b: Float32Array[] }> {
  const per = inputs.images[0]?.length ?? 0;
  const a: Float32Array[] = [];
  const b: Float32Array[] = [];
  for (let i = 0; i < inputs.images.length; i += PARITY_BATCH) {
    const chunk = inputs.images.slice(i, i + PARITY_BATCH);
    const buf = new Float32Array(per * chunk.length);
    chunk.forEach((img, k) => buf.set(img, k * per));
    const out = await run(buf, chunk.length);
    a.push(out.a);
    if (out.b) b.push(out.b);
  }
  return { a, b };
}


export interface ParityRun {
  report: Omit<ParityReport, 'tfjsBackend' | 'onnxruntime'>;
  /** Wall seconds of each engine over the check's images (including their first, slower call). */
  seconds: { tfjs: number; onnx: number };
}

async function timed<T>(f: () => Promise<T>): Promise<[T, number]> {
  const t0 = performance.now();
  const r = await f();
  return [r, (performance.now() - t0) / 1000];
}

export async function detectorParity(tfjs: AsyncDetector, onnx: AsyncDetector, inputs: ParityInputs, tolerance: ParityTolerance): Promise<ParityRun> {
  const run = (d: AsyncDetector): Runner => async (images, n) => {
    const o = await d.predictAsync(images, n);
    return { a: o.scores, b: o.maps };
  };
  const [ref, tRef] = await timed(() => inBatches(inputs, run(tfjs)));
  const [got, tGot] = await timed(() => inBatches(inputs, run(onnx)));
  const scores = [concatRows(ref.a), concatRows(got.a)] as const;
  const maps = [concatRows(ref.b), concatRows(got.b)] as const;
  const maxAbsScore = maxAbsDiff(scores[0], scores[1]);
  const maxAbsMap = maxAbsDiff(maps[0], maps[1]);
  const scoreScale = maxAbs(scores[0]);
  const mapScale = maxAbs(maps[0]);
  const passed = maxAbsScore <= parityBound(tolerance, scoreScale) && maxAbsMap <= parityBound(tolerance, mapScale);
  return {
    report: { passed, source: inputs.source, images: inputs.images.length, inputs: inputs.names, tolerance, maxAbsScore, maxAbsMap, scoreScale, mapScale },
    seconds: { tfjs: tRef, onnx: tGot },
  };
}

export async function classifierParity(tfjs: AsyncClassifier, onnx: AsyncClassifier, inputs: ParityInputs, tolerance: ParityTolerance): Promise<ParityRun> {
  const run = (c: AsyncClassifier): Runner => async (images, n) => ({ a: await c.predictAsync(images, n), b: null });
  const [ref, tRef] = await timed(() => inBatches(inputs, run(tfjs)));
  const [got, tGot] = await timed(() => inBatches(inputs, run(onnx)));
  const probs = [concatRows(ref.a), concatRows(got.a)] as const;
  const maxAbsScore = maxAbsDiff(probs[0], probs[1]);
  const scoreScale = maxAbs(probs[0]);
  return {
    report: { passed: maxAbsScore <= parityBound(tolerance, scoreScale), source: inputs.source, images: inputs.images.length, inputs: inputs.names, tolerance, maxAbsScore, maxAbsMap: null, scoreScale, mapScale: null },
    seconds: { tfjs: tRef, onnx: tGot },
  };
}
