// One SFAD optimiser step: truncated-L1 loss on adapted features and their noisy copies, gradients into the
// adaptor and discriminator only (the backbone is frozen), the three loss values read back in one transfer.
import type * as tf from '@tensorflow/tfjs';
import { minimizeReporting } from '../../../../models/components/optimizer-step.js';
import type { SfadConfig } from '../model/config.js';
import { sfadTrainingLoss, type SfadModel } from '../model/model.js';

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
  const values = await minimizeReporting(optimizer, variables, () => {
    const t = sfadTrainingLoss(model, features, cfg, noiseSeed);
    return { total: t.total, parts: [t.trueLoss, t.fakeLoss] };
  });
  return { loss: values[0] as number, trueLoss: values[1] as number, fakeLoss: values[2] as number };
}
