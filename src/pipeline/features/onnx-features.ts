// Frozen features through onnxruntime: a frozen extractor (any layers model the ONNX converter takes: ResNets,
// the packaged MobileNetV2 and InceptionV3) plus an optional head, as one ONNX graph run by onnxruntime-node on
// the CPU. SFAD's head is SimpleNet's aggregation and projection (onnxSfadFeatures); PatchCore takes the raw maps
// (onnxBackboneMaps) and pools them with the same tfjs code as before. Same numbers as tfjs up to float rounding
// (different kernels). Built in memory per run; nothing is written.
import type * as tf from '@tensorflow/tfjs';
import type { SfadConfig } from '../submodels/sfad/model/config.js';
import type { RgbImage } from '../io/image.js';
import { outputShapes } from '../export/feature-maps.js';
import type { Val } from '../export/layer-call.js';
import { imageInput, publish } from '../export/layers-model-graph.js';
import { LayersConverter } from '../export/layers-converter.js';
import { aggregateFeatures, sized, type SizedVal } from '../export/map-ops.js';
import { attr, OnnxGraph } from '../export/onnx-graph.js';
import { NCHW_TO_NHWC } from '../export/onnx-ops.js';
import { encodeModel } from '../export/onnx-proto.js';
import { createOrtSession, runOrt, type OrtSession } from '../engines/onnxruntime.js';
import { MadenetError } from '../core/errors.js';

export type FeatureEngineChoice = 'auto' | 'onnx' | 'tfjs';
/** Which engine computed the frozen features, and why auto fell back to tfjs (null when it did not). */
export interface FeatureEngineUsed {
  used: 'tfjs' | 'onnx';
  reason: string | null;
}

/**
 * The onnxruntime feature pass when asked for (onnx) or when auto finds it usable on a CPU tfjs backend; else
 * tfjs with the reason. `open` builds the caller's session (and throws when onnxruntime cannot run it).
 */
export async function chooseFeatureEngine<T>(
  choice: FeatureEngineChoice,
  runtime: { backend: string },
  open: () => Promise<T>,
): Promise<FeatureEngineUsed & { onnx: T | null }> {
  if (choice === 'tfjs') return { onnx: null, used: 'tfjs', reason: null };
  // On a GPU backend tfjs runs the backbone on the GPU; onnxruntime here would run it on the CPU.
  if (choice === 'auto' && runtime.backend !== 'wasm' && runtime.backend !== 'cpu') return { onnx: null, used: 'tfjs', reason: `tfjs backend ${runtime.backend} (a GPU) is used as it is` };
  try {
    return { onnx: await open(), used: 'onnx', reason: null };
  } catch (err) {
    const message = (err as Error).message;
    if (choice === 'onnx') {
      throw new MadenetError('E_ENGINE', `--feature-engine onnx: onnxruntime could not run the frozen feature pass: ${message}`, { suggestions: ['Use --feature-engine tfjs (or auto).'] });
    }
    return { onnx: null, used: 'tfjs', reason: message };
  }
}

/** Several models' engines as one: onnx when every one ran onnx; else tfjs, with the named reasons of those that fell back. */
export function combinedFeatureEngine(parts: readonly { name: string; featureEngine: FeatureEngineUsed }[]): FeatureEngineUsed {
  if (parts.every((p) => p.featureEngine.used === 'onnx')) return { used: 'onnx', reason: null };
  const reasons = parts.filter((p) => p.featureEngine.reason).map((p) => `${p.name}: ${p.featureEngine.reason}`);
  return { used: 'tfjs', reason: reasons.length > 0 ? reasons.join('; ') : null };
}

/** A frozen-feature session: the extractor's graph plus `head` (which publishes the outputs), probed once. */
async function extractorSession(
  name: string,
  extractor: tf.LayersModel,
  imageSize: number,
  head: (g: OnnxGraph, maps: SizedVal[], shapes: (number | null)[][]) => void,
  threads?: number,
): Promise<OrtSession> {
  const g = new OnnxGraph(name);
  const v: Val = imageInput(g, 'images', [null, imageSize, imageSize, 3]);
  const image = { ...v, channels: 3, height: imageSize, width: imageSize };
  const shapes = outputShapes(extractor, imageSize);
  const maps = new LayersConverter(g, 'backbone/').convertModel(extractor, [image]).map((m, i) => sized(m, shapes[i] ?? [], `feature map ${extractor.outputNames[i] ?? i}`));
  head(g, maps, shapes);
  const session = await createOrtSession(encodeModel(g.toModel({ producerVersion: 'madenet' })), { threads });
  // One probe image before the caller relies on it: a session can open and still fail to run (e.g. under a VM
  // realm such as jest's, onnxruntime rejects its own output arrays), and auto should then fall back, not fail later.
  try {
    await runOrt(session, new Float32Array(imageSize * imageSize * 3), [1, imageSize, imageSize, 3]);
  } catch (err) {
    await session.release();
    throw err;
  }
  return session;
}

/** N images of side s as one [N*s*s*3] buffer. */
function stacked(images: readonly RgbImage[], s: number): Float32Array {
  const buf = new Float32Array(images.length * s * s * 3);
  images.forEach((im, i) => buf.set(im.data, i * s * s * 3));
  return buf;
}

export interface OnnxFeatures {
  /** Features of the images, [N*h*w*D] channels-last, and [h, w, D]. */
  run(images: RgbImage[]): Promise<{ data: Float32Array; shape: [number, number, number] }>;
  dispose(): Promise<void>;
}

export async function onnxSfadFeatures(extractor: tf.LayersModel, cfg: Pick<SfadConfig, 'imageSize' | 'patchSize' | 'featureDim' | 'layers'>, threads?: number): Promise<OnnxFeatures> {
  let shape: [number, number, number] = [0, 0, 0];
  const session = await extractorSession(
    'sfad_features',
    extractor,
    cfg.imageSize,
    (g, maps) => {
      const f = aggregateFeatures(g, maps, cfg.patchSize, cfg.featureDim, 'aggregate');
      g.output(g.node('Transpose', [f.name], { perm: attr.ints(NCHW_TO_NHWC) }, 'features_nhwc'), 'features', ['N', f.height, f.width, f.channels]);
      shape = [f.height, f.width, f.channels];
    },
    threads,
  );
  return {
    async run(images) {
      const s = cfg.imageSize;
      const out = await runOrt(session, stacked(images, s), [images.length, s, s, 3]);
      return { data: (out.features as { data: Float32Array }).data, shape };
    },
    async dispose() {
      await session.release();
    },
  };
}

export interface OnnxHeadSession {
  /** images [n,S,S,3] row-major -> the head's outputs by name. */
  run(images: Float32Array, n: number): Promise<Record<string, Float32Array>>;
  dispose(): Promise<void>;
}

/**
 * One run at a time: callers that score several images at once (infer's tiled images) wait their turn instead of
 * running the session concurrently, so that one batch's intermediates are in memory and the intra-op threads are
 * not oversubscribed, as with tfjs (whose predict is synchronous).
 */
function oneAtATime<A extends unknown[], R>(run: (...args: A) => Promise<R>): (...args: A) => Promise<R> {
  let last: Promise<unknown> = Promise.resolve();
  return (...args) => {
    const next = last.then(() => run(...args));
    last = next.catch(() => undefined);
    return next;
  };
}

/** The extractor and a caller's head (which publishes the outputs) as one session: e.g. PatchCore's whole inference. */
export async function onnxExtractorWithHead(name: string, extractor: tf.LayersModel, imageSize: number, head: (g: OnnxGraph, maps: SizedVal[]) => void, threads?: number): Promise<OnnxHeadSession> {
  const session = await extractorSession(name, extractor, imageSize, (g, maps) => head(g, maps), threads);
  return {
    run: oneAtATime(async (images: Float32Array, n: number) => {
      const out = await runOrt(session, images, [n, imageSize, imageSize, 3]);
      return Object.fromEntries(Object.entries(out).map(([k, v]) => [k, v.data]));
    }),
    async dispose() {
      await session.release();
    },
  };
}

export interface OnnxBackboneMaps {
  /** tfjs shapes of the maps without the batch: [h_i, w_i, C_i], in the extractor's output order. */
  readonly shapes: [number, number, number][];
  /** images [n,S,S,3] row-major -> each output map [n*h_i*w_i*C_i] channels-last (the extractor's tfjs layout). */
  run(images: Float32Array, n: number): Promise<Float32Array[]>;
  dispose(): Promise<void>;
}

/** The extractor's raw output maps through onnxruntime (PatchCore pools them in tfjs, as it pools tfjs's maps). */
export async function onnxBackboneMaps(extractor: tf.LayersModel, imageSize: number, threads?: number): Promise<OnnxBackboneMaps> {
  const names: string[] = [];
  let shapes: [number, number, number][] = [];
  const session = await extractorSession(
    'backbone_maps',
    extractor,
    imageSize,
    (g, maps, tfShapes) => {
      maps.forEach((m, i) => {
        names.push(`map${i}`);
        publish(g, m, `map${i}`, tfShapes[i] ?? []);
      });
      shapes = maps.map((m) => [m.height, m.width, m.channels]);
    },
    threads,
  );
  return {
    shapes,
    run: oneAtATime(async (images: Float32Array, n: number) => {
      const out = await runOrt(session, images, [n, imageSize, imageSize, 3]);
      return names.map((k) => (out[k] as { data: Float32Array }).data);
    }),
    async dispose() {
      await session.release();
    },
  };
}
