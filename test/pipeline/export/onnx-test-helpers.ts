// Test helpers: run a tf.LayersModel in tfjs and its ONNX export in onnxruntime on the same seeded input,
// and compare. Tests only; the product's parity check lives in src/pipeline/export/parity.ts.
import * as tf from '@tensorflow/tfjs';
import { createOrtSession, runOrt } from '../../../src/pipeline/engines/onnxruntime.js';
import { layersModelGraph } from '../../../src/pipeline/export/layers-model-graph.js';
import type { AsyncDetector } from '../../../src/pipeline/engines/async-detector.js';
import { detectorParity, type ParityInputs } from '../../../src/pipeline/export/parity.js';
import type { OnnxGraph } from '../../../src/pipeline/export/onnx-graph.js';
import { encodeModel } from '../../../src/pipeline/export/onnx-proto.js';
import { Rng } from '../../../src/pipeline/core/random.js';

const { abs, max } = Math;

export function seededInput(shape: number[], seed: number, lo = 0, hi = 1): Float32Array {
  const rng = new Rng(seed);
  const n = shape.reduce((a, b) => a * b, 1);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = rng.uniform(lo, hi);
  return out;
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = max(m, abs((a[i] as number) - (b[i] as number)));
  return m;
}

export function graphBytes(graph: OnnxGraph): Uint8Array {
  return encodeModel(graph.toModel({ producerVersion: 'test' }));
}

/** Runs an encoded graph on one input; outputs by name. */
export async function runBytes(bytes: Uint8Array, input: Float32Array, dims: number[], threads = 1): Promise<Record<string, { data: Float32Array; dims: number[] }>> {
  const session = await createOrtSession(bytes, { threads });
  try {
    return await runOrt(session, input, dims);
  } finally {
    await session.release();
  }
}

/** Max |tfjs - onnx| per model output, and the output shapes onnxruntime reported. */
export async function layersParity(model: tf.LayersModel, shape: number[], seed = 1): Promise<{ diffs: number[]; dims: number[][]; scale: number[] }> {
  const input = seededInput(shape, seed);
  const ref = tf.tidy(() => {
    const out = model.predict(tf.tensor(input, shape));
    return (Array.isArray(out) ? out : [out]).map((t) => t.dataSync().slice() as Float32Array);
  });
  const got = await runBytes(graphBytes(layersModelGraph(model)), input, shape);
  const diffs = ref.map((r, i) => maxAbsDiff(r, (got[`output_${i}`] as { data: Float32Array }).data));
  const scale = ref.map((r) => r.reduce((m, v) => max(m, abs(v)), 0));
  return { diffs, dims: ref.map((_, i) => (got[`output_${i}`] as { dims: number[] }).dims), scale };
}

/** Moving statistics and affine terms drawn from a seed, so that batch norm is not the identity. */
export function randomizeBatchNorm(model: tf.LayersModel, seed: number): void {
  const rng = new Rng(seed);
  for (const layer of model.layers) {
    if (layer.getClassName() !== 'BatchNormalization') continue;
    const ranges: [number, number][] = layer.getWeights().length === 4 ? [[0.5, 1.5], [-0.2, 0.2], [-0.2, 0.2], [0.5, 1.5]] : [[-0.2, 0.2], [0.5, 1.5]];
    const next = layer.getWeights().map((w, i) => {
      const [lo, hi] = ranges[i] as [number, number];
      return tf.tensor(Float32Array.from({ length: w.size }, () => rng.uniform(lo, hi)), w.shape);
    });
    layer.setWeights(next);
    next.forEach((t) => t.dispose());
  }
}

/** Expects a tfjs and an onnx detector to score `inputs` alike (parity at relative 1e-4), and disposes both. */
export async function expectDetectorsAgree(tfjs: AsyncDetector, onnx: AsyncDetector, inputs: ParityInputs): Promise<void> {
  let passed: boolean;
  try {
    passed = (await detectorParity(tfjs, onnx, inputs, { relative: 1e-4 })).report.passed;
  } finally {
    onnx.dispose();
    tfjs.dispose();
  }
  expect(passed).toBe(true);
}
