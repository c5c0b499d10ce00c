// One optimiser step of SRAD on a batch of synthetic anomalies (forward in training mode, sradLoss, update of
// both networks). Leak-free; async only to read the losses back (GPU backends read asynchronously); the loop, anomaly synthesis and schedules live in src/pipeline.
import * as tf from '@tensorflow/tfjs';
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
  let parts: tf.Scalar[] = [];
  const cost = optimizer.minimize(
    () => {
      const { recon, maskPred } = sradForward(models, batch.image, true);
      const terms = sradLoss(cfg, { clean: batch.clean, recon, maskTrue: batch.mask, maskPred });
      parts = [terms.rec, terms.ssim, terms.focal].map((t) => tf.keep(t));
      return terms.total;
    },
    true,
    sradTrainableVariables(models),
  ) as tf.Scalar;
  const stacked = tf.tidy(() => tf.stack([cost, ...parts]));
  tf.dispose([cost, ...parts]);
  // Asynchronous: a GPU backend (webgpu) cannot read synchronously in Node.
  const values = await stacked.data().finally(() => stacked.dispose());
  return { total: values[0] as number, rec: values[1] ?? NaN, ssim: values[2] ?? NaN, focal: values[3] ?? NaN };
}
