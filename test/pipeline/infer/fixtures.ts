// Tiny real detectors and a tiny real classifier for perfmap/infer tests, saved as artifacts and loaded back
// through injectable loaders. The detector's map is |image - per-pixel mean of the train normals| (channel
// mean), a legitimate simple detector; 'inverse' and 'flat' modes give deliberately worse ones.
import * as tf from '@tensorflow/tfjs';
import { join } from 'node:path';
import { loadArtifact, writeArtifact, type ArtifactRef } from '../../../src/pipeline/artifacts/index.js';
import type { Detector, SubmodelKind } from '../../../src/pipeline/detectors/detector.js';
import { decodeImage } from '../../../src/pipeline/io/decode.js';
import { listImages } from '../../../src/pipeline/io/glob.js';
import type { Classifier } from '../../../src/pipeline/infer/classifier-contract.js';

export type DetectorMode = 'diff' | 'inverse' | 'flat';

export interface TestDetectorConfig {
  testDetector: 'mean-diff';
  imageSize: number;
  mode: DetectorMode;
}

/** Per-pixel mean [S,S,3] of the images in `dir` decoded at size S. */
export async function meanImage(dir: string, size: number): Promise<Float32Array> {
  const files = await listImages(dir);
  const mean = new Float32Array(size * size * 3);
  for (const f of files) {
    const img = await decodeImage(f, { size });
    for (let i = 0; i < mean.length; i++) mean[i] = (mean[i] as number) + (img.data[i] as number) / files.length;
  }
  return mean;
}

export async function writeTestDetector(
  root: string,
  kind: SubmodelKind,
  category: string,
  opts: { data: string; size: number; mode?: DetectorMode },
): Promise<ArtifactRef> {
  const mean = await meanImage(join(opts.data, category, 'train', 'good'), opts.size);
  const config: TestDetectorConfig = { testDetector: 'mean-diff', imageSize: opts.size, mode: opts.mode ?? 'diff' };
  return writeArtifact({ root, kind, category, config, seed: 0, files: { 'mean.bin': Buffer.from(mean.buffer) } });
}

export function meanDiffDetector(kind: SubmodelKind, category: string, size: number, meanData: Float32Array, mode: DetectorMode, artifactDir: string | null): Detector {
  const mean = tf.tensor4d(meanData, [1, size, size, 3]);
  return {
    kind,
    category,
    imageSize: size,
    artifactDir,
    predict(images) {
      return tf.tidy(() => {
        const diff = images.sub(mean).abs().mean(3) as tf.Tensor3D;
        const maps = mode === 'diff' ? diff : mode === 'inverse' ? tf.scalar(1).sub(diff) : diff.mul(0);
        return { maps: maps as tf.Tensor3D, scores: maps.max([1, 2]) as tf.Tensor1D };
      });
    },
    dispose() {
      mean.dispose();
    },
  };
}

/** Counts loads, so that tests can see lazy loading and caching. */
export const loadCounts = new Map<string, number>();

export async function loadTestDetector(dir: string): Promise<Detector> {
  const a = await loadArtifact(dir);
  const cfg = a.manifest.config as TestDetectorConfig;
  if (cfg?.testDetector !== 'mean-diff') throw new Error(`not a test detector: ${dir}`);
  const buf = await a.readFile('mean.bin');
  const mean = new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
  loadCounts.set(a.dir, (loadCounts.get(a.dir) ?? 0) + 1);
  return meanDiffDetector(a.manifest.kind as SubmodelKind, a.manifest.category, cfg.imageSize, mean, cfg.mode, a.dir);
}

export interface TestClassifierConfig {
  testClassifier: 'nearest-mean';
  categories: string[];
  imageSize: number;
  /** Softmax temperature on the mean squared distance: small = confident, large = unsure. */
  temperature: number;
}

/**
 * A nearest-mean classifier: softmax(-MSE(x, mean_c) / T). `means` maps each class name to the category
 * folder whose train normals give its mean (so a class can be named differently from its images).
 */
export async function writeTestClassifier(root: string, opts: { data: string; size: number; temperature: number; means: Record<string, string> }): Promise<ArtifactRef> {
  const categories = Object.keys(opts.means);
  const parts: Float32Array[] = [];
  for (const c of categories) parts.push(await meanImage(join(opts.data, opts.means[c] as string, 'train', 'good'), opts.size));
  const all = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  parts.forEach((p, i) => all.set(p, i * p.length));
  const config: TestClassifierConfig = { testClassifier: 'nearest-mean', categories, imageSize: opts.size, temperature: opts.temperature };
  return writeArtifact({ root, kind: 'classifier', category: 'all', config, seed: 0, files: { 'means.bin': Buffer.from(all.buffer) } });
}

export async function loadTestClassifier(dir: string): Promise<Classifier> {
  const a = await loadArtifact(dir);
  const cfg = a.manifest.config as TestClassifierConfig;
  const buf = await a.readFile('means.bin');
  const c = cfg.categories.length;
  const s = cfg.imageSize;
  const means = tf.tensor2d(new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength)), [c, s * s * 3]);
  return {
    categories: [...cfg.categories],
    imageSize: s,
    predict(images) {
      return tf.tidy(() => {
        const x = images.reshape([images.shape[0], 1, s * s * 3]);
        const mse = x.sub(means.expandDims(0)).square().mean(2);
        return tf.softmax(mse.neg().div(cfg.temperature)) as tf.Tensor2D;
      });
    },
    dispose() {
      means.dispose();
    },
  };
}
