// One SFAD optimiser step: truncated-L1 loss on adapted features and their noisy copies, gradients into the
// adaptor and discriminator only (the backbone is frozen), the three loss values read back in one transfer.
import * as tf from '@tensorflow/tfjs';
import type { SfadConfig } from '../../../models/sfad/config.js';
import { sfadTrainingLoss, type SfadModel } from '../../../models/sfad/model.js';

export interface SfadStepLosses {
  loss: number;
  trueLoss: number;
  fakeLoss: number;
}

/** features [N,h,w,D] from sfadFeatures (not disposed here); noiseSeed fixes this step's noise. */
export async function sfadTrainStep(
  model: Pick<SfadModel, 'adaptor' | 'discriminator'>,
  optimizer: tf.Optimizer,
  variables: tf.Variable[],
  cfg: Pick<SfadConfig, 'noiseStd' | 'margin'>,
  features: tf.Tensor4D,
  noiseSeed: number,
): Promise<SfadStepLosses> {
  let parts: tf.Scalar[] = [];
  const total = optimizer.minimize(
    () => {
      const t = sfadTrainingLoss(model, features, cfg, noiseSeed);
      parts = [tf.keep(t.trueLoss), tf.keep(t.fakeLoss)];
      return t.total;
    },
    true,
    variables,
  ) as tf.Scalar;
  const stacked = tf.tidy(() => tf.stack([total, ...parts]));
  tf.dispose([total, ...parts]);
  // Asynchronous: a GPU backend (webgpu) cannot read synchronously in Node.
  const values = await stacked.data().finally(() => stacked.dispose());
  return { loss: values[0] as number, trueLoss: values[1] as number, fakeLoss: values[2] as number };
}
