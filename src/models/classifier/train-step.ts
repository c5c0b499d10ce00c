// One optimiser step of the pre-classifier on a batch (forward in training mode, loss, gradients, update).
// Synchronous and leak-free; the loop, schedules and data belong to src/pipeline/train.
import type * as tf from '@tensorflow/tfjs';
import { minimizeReporting } from '../components/optimizer-step.js';
import type { ClassifierConfig } from './config.js';
import { accuracy, crossEntropyLoss } from './loss.js';

export interface ClassifierBatch {
  /** [N,S,S,3] RGB in [0,1]. */
  images: tf.Tensor4D;
  /** [N] int32 class indices. */
  labels: tf.Tensor1D;
}

export interface ClassifierStepResult {
  loss: number;
  accuracy: number;
}

/**
 * Minimises crossEntropyLoss over the model's trainable weights only (an optimiser given no var list would
 * update every variable in the process). Batch-norm moving statistics update as a side effect, except on a
 * pretrained body (`cfg.network`): that runs in inference mode, its batch norms on their pretrained statistics
 * (Keras' transfer-learning rule). In training mode its weights adapt to the statistics of 16-image batches
 * while the moving averages (momentum 0.999 in Keras' MobileNetV2) barely move in a few dozen steps, so the saved
 * model, which infers on the moving averages, disagreed with what was trained: validation accuracy 0.68 and 10 of
 * 117 real test images confidently misrouted (bench/results/real-2026-12-07-routed/classifier-options.md).
 * The head's dropout is off in that mode too.
 */
export async function classifierTrainStep(
  model: tf.LayersModel,
  optimizer: tf.Optimizer,
  cfg: ClassifierConfig,
  batch: ClassifierBatch,
): Promise<ClassifierStepResult> {
  const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const [loss, acc] = await minimizeReporting(optimizer, vars, () => {
    const probs = model.apply(batch.images, { training: cfg.network === undefined }) as tf.Tensor2D;
    return { total: crossEntropyLoss(probs, batch.labels, cfg.labelSmoothing), parts: [accuracy(probs, batch.labels)] };
  });
  return { loss: loss as number, accuracy: acc as number };
}
