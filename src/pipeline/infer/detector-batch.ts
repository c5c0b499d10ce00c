// Runs one Detector (or the classifier) on a batch of decoded images and reads the results back to typed
// arrays, disposing every tensor it made. Images of one batch share a size; resizing to the model's input
// size (and of maps to a requested size) is bilinear with half-pixel centres, done here in tf.
import * as tf from '@tensorflow/tfjs';
import { MadenetError } from '../core/errors.js';
import type { Detector } from '../detectors/detector.js';
import type { AsyncClassifier, AsyncDetector } from '../engines/async-detector.js';
import type { RgbImage } from '../io/image.js';
import type { Classifier } from './classifier-contract.js';

export interface BatchScores {
  /** [N] image scores. */
  scores: Float32Array;
  /** [N, mapSize, mapSize] row-major. */
  maps: Float32Array;
  mapSize: number;
}

/** [N,H,W,3] float32 from N images of equal size (values as decoded: [0,1]). */
export function stackImages(images: readonly RgbImage[]): tf.Tensor4D {
  const first = images[0];
  if (!first) throw new MadenetError('E_INTERNAL', 'stackImages got an empty batch.');
  const per = first.width * first.height * 3;
  const buf = new Float32Array(per * images.length);
  images.forEach((img, i) => {
    if (img.width !== first.width || img.height !== first.height) {
      throw new MadenetError('E_INTERNAL', `Batch mixes ${first.width}x${first.height} and ${img.width}x${img.height} images; expected one size.`);
    }
    buf.set(img.data, i * per);
  });
  return tf.tensor4d(buf, [images.length, first.height, first.width, 3]);
}

function resizeTo(x: tf.Tensor4D, size: number): tf.Tensor4D {
  return x.shape[1] === size && x.shape[2] === size ? x : tf.image.resizeBilinear(x, [size, size], false, true);
}

/** The images resized to `size` in tf, read back as one [N,size,size,3] array (the input of an async engine). */
async function resizedData(images: readonly RgbImage[], size: number): Promise<Float32Array> {
  const x = tf.tidy(() => resizeTo(stackImages(images), size));
  try {
    const d = await x.data();
    return d instanceof Float32Array ? d : Float32Array.from(d);
  } finally {
    x.dispose();
  }
}

/** An engine behind the async contract (onnxruntime, or tfjs adapted) rather than a synchronous tfjs Detector. */
export function isAsyncDetector(d: Detector | AsyncDetector): d is AsyncDetector {
  return 'predictAsync' in d;
}

async function scoreAsync(detector: AsyncDetector, images: readonly RgbImage[], mapSize: number, readMaps: boolean): Promise<BatchScores> {
  const n = images.length;
  const s = detector.imageSize;
  const out = await detector.predictAsync(await resizedData(images, s), n);
  if (out.scores.length !== n || out.maps.length !== n * s * s) {
    throw new MadenetError('E_INTERNAL', `The ${detector.kind} ${detector.engine} engine returned ${out.scores.length} scores and ${out.maps.length} map values; expected ${n} and ${n * s * s}.`);
  }
  if (!readMaps) return { scores: out.scores, maps: new Float32Array(0), mapSize };
  if (mapSize === s) return { scores: out.scores, maps: out.maps, mapSize };
  const sized = tf.tidy(() => resizeTo(tf.tensor4d(out.maps, [n, s, s, 1]), mapSize));
  try {
    return { scores: out.scores, maps: Float32Array.from((await sized.data()) as Float32Array), mapSize };
  } finally {
    sized.dispose();
  }
}

/**
 * Scores and maps of `images`; maps come back at `mapSize` (default: the detector's input size), or empty
 * when `readMaps` is false (scores only, nothing copied off the backend).
 */
export async function scoreBatch(detector: Detector | AsyncDetector, images: readonly RgbImage[], mapSize = detector.imageSize, readMaps = true): Promise<BatchScores> {
  if (isAsyncDetector(detector)) return scoreAsync(detector, images, mapSize, readMaps);
  const [scores, maps] = tf.tidy(() => {
    const out = detector.predict(resizeTo(stackImages(images), detector.imageSize));
    const m = out.maps;
    if (m.rank !== 3 || m.shape[0] !== images.length || m.shape[1] !== m.shape[2]) {
      throw new MadenetError('E_INTERNAL', `The ${detector.kind} detector returned maps of shape [${m.shape.join(', ')}]; expected [${images.length}, S, S].`);
    }
    const sized = m.shape[1] === mapSize ? m : resizeTo(m.expandDims(3) as tf.Tensor4D, mapSize).squeeze([3]);
    return [out.scores.reshape([images.length]), sized] as [tf.Tensor1D, tf.Tensor3D];
  });
  try {
    const [s, m] = await Promise.all([scores.data(), readMaps ? maps.data() : Promise.resolve(new Float32Array(0))]);
    return { scores: Float32Array.from(s), maps: m instanceof Float32Array ? m : Float32Array.from(m), mapSize };
  } finally {
    scores.dispose();
    maps.dispose();
  }
}

/** Top-1 category index and its softmax probability per image. */
export async function classifyBatch(classifier: Classifier | AsyncClassifier, images: readonly RgbImage[]): Promise<{ index: Int32Array; confidence: Float32Array }> {
  const k = classifier.categories.length;
  const probs = 'predictAsync' in classifier ? await classifier.predictAsync(await resizedData(images, classifier.imageSize), images.length) : await tfjsProbs(classifier, images);
  if (probs.length !== images.length * k) {
    const engine = 'predictAsync' in classifier ? `${classifier.engine} engine` : 'network';
    throw new MadenetError('E_INTERNAL', `The classifier's ${engine} returned ${probs.length} probabilities; expected ${images.length} x ${k}.`);
  }
  return topOne(probs, images.length, k);
}

/** [N,K] softmax probabilities of a tfjs classifier, read back row-major (N x K floats: less than a map). */
async function tfjsProbs(classifier: Classifier, images: readonly RgbImage[]): Promise<Float32Array> {
  const probs = tf.tidy(() => {
    const p = classifier.predict(resizeTo(stackImages(images), classifier.imageSize));
    if (p.rank !== 2 || p.shape[1] !== classifier.categories.length) {
      throw new MadenetError('E_INTERNAL', `The classifier returned probabilities of shape [${p.shape.join(', ')}]; expected [${images.length}, ${classifier.categories.length}].`);
    }
    return p;
  });
  try {
    const d = await probs.data();
    return d instanceof Float32Array ? d : Float32Array.from(d);
  } finally {
    probs.dispose();
  }
}

/** Index and value of each row's maximum in [n,k] row-major probabilities; the first maximum wins, as tf.argMax. */
function topOne(probs: Float32Array, n: number, k: number): { index: Int32Array; confidence: Float32Array } {
  const index = new Int32Array(n);
  const confidence = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let j = 1; j < k; j++) if ((probs[i * k + j] as number) > (probs[i * k + best] as number)) best = j;
    index[i] = best;
    confidence[i] = probs[i * k + best] as number;
  }
  return { index, confidence };
}
