// One SFAD optimiser step: truncated-L1 loss on adapted features and their noisy copies, gradients into the
// adaptor and discriminator only (the backbone is frozen), the three loss values read back in one transfer.
import type * as tf from '@tensorflow/tfjs';
import { minimizeReporting } from '../../../../models/components/optimizer-step.js';
import type { SfadConfig } from '../model/config.js';
import { sfadTrainableVariables, sfadTrainingLoss, type SfadModel } from '../model/model.js';
import { GroupedAdam } from '../../../train/train-grouped-adam.js';

/**
 * SFAD's two-rate Adam (training and fine-tuning alike): the adaptor at lrAdaptor/lrDiscriminator of `lr`, the
 * discriminator at `lr` with weight decay; and the variables in the order the steps take them.
 */
export function sfadOptimizer(model: SfadModel, cfg: Pick<SfadConfig, 'lrAdaptor' | 'lrDiscriminator' | 'weightDecay'>, lr: number): { optimizer: GroupedAdam; varList: tf.Variable[] } {
  const vars = sfadTrainableVariables(model);
  const optimizer = new GroupedAdam(lr, [
    { variables: vars.adaptor, lrScale: cfg.lrAdaptor / cfg.lrDiscriminator },
    { variables: vars.discriminator, lrScale: 1, weightDecay: cfg.weightDecay },
  ]);
  return { optimizer, varList: [...vars.adaptor, ...vars.discriminator] };
}

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
