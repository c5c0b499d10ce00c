// PatchCore with its frozen backbone run by onnxruntime (features/onnx-features.ts onnxBackboneMaps) and the rest
// (3x3 pooling, position channels, kNN against the bank, map and score) by the same tfjs code as the tfjs
// detector: train-patchcore validates through it when --feature-engine picks onnx, and infer, evaluate and
// build-perfmap score through it (detector.ts loadPatchcoreAsyncDetector). Behind the async contract, since
// onnxruntime has no synchronous run. One batch at a time: every tensor it makes is disposed before it returns.
import * as tf from '@tensorflow/tfjs';
import type { AsyncDetector } from '../../engines/async-detector.js';
import type { OnnxBackboneMaps, OnnxHeadSession } from '../../features/onnx-features.js';
import { patchcoreImageScore, type ScoreNormalization } from './model/anomaly-map.js';
import { PATCHCORE_ONNX_OUTPUTS } from './onnx-head.js';
import type { PatchcoreConfig } from './model/config.js';
import { patchcoreFeaturesFromMaps, patchcorePredictFromFeatures, patchScoreTerm, type PatchcoreBanks } from './model/model.js';

/** The maps of `n` images as tensors in the extractor's layout (the caller disposes them, e.g. inside tf.tidy). */
export function mapTensors(backbone: OnnxBackboneMaps, raw: readonly Float32Array[], n: number): tf.Tensor4D[] {
  return raw.map((d, i) => tf.tensor4d(d, [n, ...(backbone.shapes[i] as [number, number, number])]));
}

/** With `owns` (a loaded artifact), dispose() releases the session and the banks; without (training's live banks), nothing. */
export function patchcoreOnnxDetector(backbone: OnnxBackboneMaps, banks: PatchcoreBanks, cfg: PatchcoreConfig, opts: { category: string; artifactDir: string | null; owns?: boolean }): AsyncDetector {
  return {
    kind: 'patchcore',
    category: opts.category,
    imageSize: cfg.imageSize,
    artifactDir: opts.artifactDir,
    engine: 'onnx',
    async predictAsync(images, n) {
      const raw = await backbone.run(images, n);
      const out = tf.tidy(() => {
        const o = patchcorePredictFromFeatures(patchcoreFeaturesFromMaps(mapTensors(backbone, raw, n), cfg), banks, cfg);
        return [o.scores, o.maps] as [tf.Tensor1D, tf.Tensor3D];
      });
      try {
        const [s, m] = await Promise.all(out.map((t) => t.data()));
        return { scores: Float32Array.from(s as Float32Array), maps: m instanceof Float32Array ? m : Float32Array.from(m as ArrayLike<number>) };
      } finally {
        tf.dispose(out);
      }
    },
    dispose() {
      if (!opts.owns) return;
      banks.patches.dispose();
      banks.global?.dispose();
      // Releasing a session only frees native memory; nothing waits on it, and a failure to free is not the run's.
      backbone.dispose().catch(() => undefined);
    },
  };
}

/**
 * PatchCore wholly in one onnxruntime session (onnx-head.ts: backbone, pooling, kNN and map); only the image score
 * is taken in tfjs from the session's maps and max patch distances (the same patchScoreTerm as everywhere). Owns
 * `session`: dispose() releases it.
 */
export function patchcoreOnnxSessionDetector(session: OnnxHeadSession, cfg: PatchcoreConfig, norm: ScoreNormalization | null, opts: { category: string; artifactDir: string | null }): AsyncDetector {
  const s = cfg.imageSize;
  return {
    kind: 'patchcore',
    category: opts.category,
    imageSize: s,
    artifactDir: opts.artifactDir,
    engine: 'onnx',
    async predictAsync(images, n) {
      const out = await session.run(images, n);
      const maps = out[PATCHCORE_ONNX_OUTPUTS.maps] as Float32Array;
      const patchMax = out[PATCHCORE_ONNX_OUTPUTS.patchMax] as Float32Array;
      const scores = tf.tidy(() => patchcoreImageScore(patchScoreTerm(tf.tensor1d(patchMax), tf.tensor3d(maps, [n, s, s]), cfg), null, cfg.globalWeight, norm));
      try {
        return { scores: Float32Array.from((await scores.data()) as Float32Array), maps };
      } finally {
        scores.dispose();
      }
    },
    dispose() {
      session.dispose().catch(() => undefined);
    },
  };
}
