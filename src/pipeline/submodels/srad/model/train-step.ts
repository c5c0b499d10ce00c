// One optimiser step of SRAD on a batch of synthetic anomalies (forward in training mode, sradLoss, update of
// both networks). Leak-free; async only to read the losses back (GPU backends read asynchronously); the loop,
// anomaly synthesis and schedules live in src/pipeline.
import type * as tf from '@tensorflow/tfjs';
import { minimizeReporting } from '../../../../models/components/optimizer-step.js';
import type { SradConfig } from './config.js';
import { sradLoss } from './loss.js';
import { type SradModels, sradForward, sradTrainableVariables } from './model.js';

export type SradBatch = {
  /** [N,S,S,3] image with synthetic anomalies, in [0,1] (the networks' input). */
  image: tf.Tensor4D;
  /** [N,S,S,3] the same image before the anomaly was pasted (the reconstruction target). */
  clean: tf.Tensor4D;
  /** [N,S,S,1] synthetic anomaly mask in [0,1]. */
  mask: tf.Tensor4D;
};

export interface SradStepResult {
  total: number;
  rec: number;
  ssim: number;
  focal: number;
}

/** Updates only SRAD's trainable variables (a varList-less minimize would touch every variable in the process). */
export async function sradTrainStep(models: SradModels, optimizer: tf.Optimizer, cfg: SradConfig, batch: SradBatch): Promise<SradStepResult> {
  const [total, rec, ssim, focal] = await minimizeReporting(optimizer, sradTrainableVariables(models), () => {
    const { recon, maskPred } = sradForward(models, batch.image, true);
    const terms = sradLoss(cfg, { clean: batch.clean, recon, maskTrue: batch.mask, maskPred });
    return { total: terms.total, parts: [terms.rec, terms.ssim, terms.focal] };
  });
  return { total: total as number, rec: rec as number, ssim: ssim as number, focal: focal as number };
}
