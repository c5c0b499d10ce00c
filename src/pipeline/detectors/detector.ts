// The one inference contract every submodel artifact is loaded into, so that validation, build-perfmap,
// infer and evaluate treat SRAD, SFAD and LPD alike (anomalib's InferenceBatch idea).
import type * as tf from '@tensorflow/tfjs';
import type { SubmodelKind } from '../core/submodel-kinds.js';

// The kinds are listed once, by the submodel registry; the type is re-exported for the contract's users.
export type { SubmodelKind };

export interface DetectorOutput {
  /** [N] image scores, higher = more anomalous. */
  scores: tf.Tensor1D;
  /** [N,H,W] anomaly maps at the detector's input size, higher = more anomalous. */
  maps: tf.Tensor3D;
}

export interface Detector {
  readonly kind: SubmodelKind;
  readonly category: string;
  /** Square input size in pixels the detector expects. */
  readonly imageSize: number;
  /** The artifact it was loaded from (vNNNN dir), for lineage in perfmaps and predictions. */
  readonly artifactDir: string | null;
  /**
   * Synchronous forward pass; call inside tf.tidy or dispose the outputs.
   * @param images [N,S,S,3] float32 in [0,1], S = imageSize
   */
  predict(images: tf.Tensor4D): DetectorOutput;
  dispose(): void;
}

/**
 * A Detector from a kind's forward pass and release: the fields every submodel's wrapper would otherwise repeat.
 * `predict` and `dispose` are kept as given (they close over the kind's networks and its ownership flag).
 */
export function detectorFrom(
  kind: SubmodelKind,
  imageSize: number,
  opts: { category: string; artifactDir: string | null },
  predict: (images: tf.Tensor4D) => DetectorOutput,
  dispose: () => void,
): Detector {
  return { kind, category: opts.category, imageSize, artifactDir: opts.artifactDir, predict, dispose };
}
