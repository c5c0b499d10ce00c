// PatchCore anomaly maps and image scores. Maps: patch kNN distances upsampled bilinearly and smoothed
// (sigma 4 at 288 px, scaled). Scores: max patch distance, plus optionally a standardised global kNN term.
import * as tf from '@tensorflow/tfjs';
import { patchScoresToMap } from '../../../../models/components/gaussian-smooth.js';

/** Standardisation of the two image-score terms, measured on held-out train normals. */
export interface ScoreNormalization {
  patchMean: number;
  patchStd: number;
  globalMean: number;
  globalStd: number;
}

/** Patch distances [N,h,w,1] -> maps [N,S,S]. */
export function patchcoreAnomalyMap(patchDistances: tf.Tensor4D, imageSize: number, sigma: number): tf.Tensor3D {
  return patchScoresToMap(patchDistances, imageSize, sigma);
}

/**
 * Image scores [N]: max patch distance [N] alone (no global term or no normalisation), or
 * (patchMax - mu_p)/sd_p + w (global - mu_g)/sd_g, so that both terms are in units of normal spread.
 */
export function patchcoreImageScore(patchMax: tf.Tensor1D, global: tf.Tensor1D | null, weight: number, norm: ScoreNormalization | null): tf.Tensor1D {
  return tf.tidy(() => {
    if (!global || !norm || weight === 0) return patchMax.clone();
    const p = patchMax.sub(norm.patchMean).div(norm.patchStd);
    const g = global.sub(norm.globalMean).div(norm.globalStd);
    return p.add(g.mul(weight)) as tf.Tensor1D;
  });
}
