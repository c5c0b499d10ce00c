// SRAD fine-tuning on real and synthetic defects: the real mask is the focal-loss target, and the reconstruction
// loss is weighted per pixel, because a real defect has no clean twin to reconstruct (see srad-finetune-batch.ts).
// With every weight 1 the loss equals sradLoss exactly. Synchronous tensor maths; the caller disposes inputs.
import * as tf from '@tensorflow/tfjs';
import { minimizeReporting } from '../../../../models/components/optimizer-step.js';
import type { SradConfig } from '../model/config.js';
import { focalLoss } from '../model/loss.js';
import { sradForward, sradTrainableVariables, type SradModels } from '../model/model.js';
import { ssimMap } from '../model/ssim.js';

export interface SradFinetuneBatch {
  /** [N,S,S,3] in [0,1]: the networks' input (normal, synthetic or real defect). */
  image: tf.Tensor4D;
  /** [N,S,S,3] in [0,1]: the reconstruction target (the input itself for real defects). */
  clean: tf.Tensor4D;
  /** [N,S,S,1] in {0,1}: synthetic or real defect mask (the focal target). */
  mask: tf.Tensor4D;
  /** [N,S,S,1] in [0,1]: weight of each pixel in the reconstruction terms. */
  recWeight: tf.Tensor4D;
}

export interface SradFinetuneLossTerms {
  total: tf.Scalar;
  rec: tf.Scalar;
  ssim: tf.Scalar;
  focal: tf.Scalar;
}

/**
 * total = lambdaRec * (L2_w + 1 - SSIM_w) + lambdaSeg * focal, with L2_w = sum(w (recon-clean)^2) / (3 sum w) and
 * SSIM_w = sum(w ssim) / (3 sum w) over pixels and channels; w = recWeight broadcast over the 3 channels.
 */
export function sradFinetuneLoss(
  cfg: Pick<SradConfig, 'loss'>,
  t: { clean: tf.Tensor4D; recon: tf.Tensor4D; maskTrue: tf.Tensor4D; maskPred: tf.Tensor4D; recWeight: tf.Tensor4D },
): SradFinetuneLossTerms {
  return tf.tidy(() => {
    const l = cfg.loss;
    // 3 channels per weighted pixel; a tiny floor keeps an all-masked batch finite (its terms are then 0).
    const denom = t.recWeight.sum().mul(3).maximum(1e-6);
    const rec = t.recon.sub(t.clean).square().mul(t.recWeight).sum().div(denom) as tf.Scalar;
    const ssim = tf.scalar(1).sub(ssimMap(t.recon, t.clean, l.ssimWindow).mul(t.recWeight).sum().div(denom)) as tf.Scalar;
    const focal = focalLoss(t.maskPred, t.maskTrue, l.focalAlpha, l.focalGamma);
    const total = rec.add(ssim).mul(l.lambdaRec).add(focal.mul(l.lambdaSeg)) as tf.Scalar;
    return { total, rec, ssim, focal };
  });
}

export interface SradFinetuneStepResult {
  loss: number;
  rec: number;
  ssim: number;
  focal: number;
}

/** One Adam step over both SRAD networks on a mixed batch (inputs not disposed here). */
export async function sradFinetuneStep(models: SradModels, optimizer: tf.Optimizer, cfg: SradConfig, batch: SradFinetuneBatch): Promise<SradFinetuneStepResult> {
  const values = await minimizeReporting(optimizer, sradTrainableVariables(models), () => {
    const { recon, maskPred } = sradForward(models, batch.image, true);
    const terms = sradFinetuneLoss(cfg, { clean: batch.clean, recon, maskTrue: batch.mask, maskPred, recWeight: batch.recWeight });
    return { total: terms.total, parts: [terms.rec, terms.ssim, terms.focal] };
  });
  return { loss: values[0] as number, rec: values[1] as number, ssim: values[2] as number, focal: values[3] as number };
}
