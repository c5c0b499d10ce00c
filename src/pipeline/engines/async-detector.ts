// The engine-neutral inference contract: typed arrays in, typed arrays out, asynchronous (onnxruntime has no
// synchronous run). tfjs Detectors/Classifiers are adapted to it here; the onnx ones implement it directly.
import * as tf from '@tensorflow/tfjs';
import type { Detector, SubmodelKind } from '../detectors/detector.js';
import type { Classifier } from '../infer/classifier-contract.js';

export type EngineName = 'onnx' | 'tfjs';

export interface BatchOutput {
  /** [N] image scores, higher = more anomalous. */
  scores: Float32Array;
  /** [N,S,S] row-major anomaly maps at the detector's input size. */
  maps: Float32Array;
}

export interface AsyncDetector {
  readonly kind: SubmodelKind;
  readonly category: string;
  readonly imageSize: number;
  readonly artifactDir: string | null;
  readonly engine: EngineName;
  /** onnx: the execution providers its session was created with, in priority order (e.g. ['cuda','cpu']). */
  readonly executionProviders?: readonly string[];
  /** images: [n,S,S,3] float32 row-major (NHWC) in [0,1], S = imageSize. */
  predictAsync(images: Float32Array, n: number): Promise<BatchOutput>;
  dispose(): void;
}

export interface AsyncClassifier {
  readonly categories: string[];
  readonly imageSize: number;
  readonly engine: EngineName;
  readonly executionProviders?: readonly string[];
  /** images [n,S,S,3] -> [n,K] softmax probabilities, row-major. */
  predictAsync(images: Float32Array, n: number): Promise<Float32Array>;
  dispose(): void;
}

function imagesTensor(images: Float32Array, n: number, size: number): tf.Tensor4D {
  if (images.length !== n * size * size * 3) throw new Error(`expected ${n} images of ${size}x${size}x3 (${n * size * size * 3} values), got ${images.length}`);
  return tf.tensor4d(images, [n, size, size, 3]);
}

/** A tfjs Detector behind the async contract (disposes every tensor it makes; dispose() disposes the detector). */
export function tfjsAsyncDetector(d: Detector): AsyncDetector {
  return {
    kind: d.kind,
    category: d.category,
    imageSize: d.imageSize,
    artifactDir: d.artifactDir,
    engine: 'tfjs',
    async predictAsync(images, n) {
      const out = tf.tidy(() => {
        const o = d.predict(imagesTensor(images, n, d.imageSize));
        return [o.scores, o.maps] as [tf.Tensor1D, tf.Tensor3D];
      });
      try {
        const [s, m] = await Promise.all(out.map((t) => t.data()));
        return { scores: Float32Array.from(s as Float32Array), maps: m instanceof Float32Array ? m : Float32Array.from(m as ArrayLike<number>) };
      } finally {
        out.forEach((t) => t.dispose());
      }
    },
    dispose: () => d.dispose(),
  };
}

export function tfjsAsyncClassifier(c: Classifier): AsyncClassifier {
  return {
    categories: c.categories,
    imageSize: c.imageSize,
    engine: 'tfjs',
    async predictAsync(images, n) {
      const probs = tf.tidy(() => c.predict(imagesTensor(images, n, c.imageSize)));
      try {
        return Float32Array.from((await probs.data()) as Float32Array);
      } finally {
        probs.dispose();
      }
    },
    dispose: () => c.dispose(),
  };
}
