// SRAD's training loss: reconstruction (L2 + SSIM) against the clean image and focal loss between the predicted
// and the synthetic anomaly mask. Each term is a named function; pure tensor maths returning scalars.
import * as tf from '@tensorflow/tfjs';
import type { SradLossConfig } from './config.js';
import { ssimMap } from './ssim.js';

/** Probabilities are clipped to [EPS, 1 - EPS] inside logs and powers so the loss and its gradient stay finite. */
const EPS = 1e-6;

/** L2 = mean over all elements of (recon - clean)^2 (torch.nn.MSELoss). [N,H,W,3] x2 -> scalar. */
export function l2Loss(recon: tf.Tensor4D, clean: tf.Tensor4D): tf.Scalar {
  return tf.tidy(() => recon.sub(clean).square().mean() as tf.Scalar);
}

/** SSIM loss = 1 - mean(ssimMap(recon, clean)) (DRAEM's SSIM loss). [N,H,W,3] x2 -> scalar. */
export function ssimLoss(recon: tf.Tensor4D, clean: tf.Tensor4D, windowSize = 11): tf.Scalar {
  return tf.tidy(() => tf.scalar(1).sub(ssimMap(recon, clean, windowSize).mean()) as tf.Scalar);
}

/**
 * Binary focal loss on the anomaly probability p (mask channel 1 of a softmax, or the single sigmoid channel)
 * against a target y in [0,1] (soft targets allowed):
 *   FL = -mean[ a1 * y * (1-p)^gamma * log(p) + a0 * (1-y) * p^gamma * log(1-p) ],  p clipped to [1e-6, 1-1e-6],
 * with (a1, a0) = (alpha, 1 - alpha), or (1, 1) when alpha < 0 (DRAEM's FocalLoss, which applies no alpha).
 * maskPred [N,H,W,C]; maskTrue [N,H,W,1] or [N,H,W]. Returns a scalar.
 */
export function focalLoss(maskPred: tf.Tensor4D, maskTrue: tf.Tensor, alpha: number, gamma: number): tf.Scalar {
  return tf.tidy(() => {
    const [n, h, w, c] = maskPred.shape;
    const p = maskPred.slice([0, 0, 0, c - 1], [n, h, w, 1]).reshape([n, h, w]).clipByValue(EPS, 1 - EPS);
    const y = maskTrue.reshape([n, h, w]);
    const q = tf.scalar(1).sub(p);
    const pos = y.mul(q.pow(gamma)).mul(p.log());
    const neg = tf.scalar(1).sub(y).mul(p.pow(gamma)).mul(q.log());
    const [a1, a0] = alpha < 0 ? [1, 1] : [alpha, 1 - alpha];
    return pos.mul(a1).add(neg.mul(a0)).mean().neg() as tf.Scalar;
  });
}

export type SradLossInputs = {
  /** [N,H,W,3] anomaly-free target in [0,1]. */
  clean: tf.Tensor4D;
  /** [N,H,W,3] reconstruction. */
  recon: tf.Tensor4D;
  /** [N,H,W,1] synthetic anomaly mask in [0,1]. */
  maskTrue: tf.Tensor;
  /** [N,H,W,C] detector output (C = 2 softmax or 1 sigmoid). */
  maskPred: tf.Tensor4D;
};

export type SradLossTerms = {
  /** lambdaRec * (rec + ssim) + lambdaSeg * focal. */
  total: tf.Scalar;
  /** l2Loss (unweighted). */
  rec: tf.Scalar;
  /** ssimLoss (unweighted). */
  ssim: tf.Scalar;
  /** focalLoss (unweighted). */
  focal: tf.Scalar;
};

/** total = lambda_rec * (L2 + (1 - SSIM)) + lambda_seg * focal. The caller owns the four scalars. */
export function sradLoss(cfg: { loss: SradLossConfig }, t: SradLossInputs): SradLossTerms {
  return tf.tidy(() => {
    const l = cfg.loss;
    const rec = l2Loss(t.recon, t.clean);
    const ssim = ssimLoss(t.recon, t.clean, l.ssimWindow);
    const focal = focalLoss(t.maskPred, t.maskTrue, l.focalAlpha, l.focalGamma);
    const total = rec.add(ssim).mul(l.lambdaRec).add(focal.mul(l.lambdaSeg)) as tf.Scalar;
    return { total, rec, ssim, focal };
  });
}
