// What train-classifier and the classifier fine-tune share around TrainingRun: the optimiser step on a batch of
// labelled images and the category files of the saved artifact. Data, schedules and metrics stay with each service.
import * as tf from '@tensorflow/tfjs';
import type { ClassifierConfig } from '../../../models/classifier/config.js';
import { classifierTrainStep } from '../../../models/classifier/train-step.js';
import type { StepContext } from '../loop.js';
import { imagesToTensor } from '../tensors.js';
import { setAdamRate } from '../train-run.js';
import type { ClassifierBatchItems } from './classifier-data.js';

/** The loop's step: one Adam step at the scheduled rate on [N,S,S,3] images; returns loss and batch accuracy. */
export function classifierLoopStep(
  model: tf.LayersModel,
  optimizer: tf.Optimizer,
  cfg: ClassifierConfig,
): (batch: ClassifierBatchItems, ctx: StepContext) => Promise<Record<string, number>> {
  return async (b, ctx) => {
    const images = imagesToTensor(b.images);
    const labels = tf.tensor1d(b.labels, 'int32');
    try {
      setAdamRate(optimizer, ctx.lr);
      const r = await classifierTrainStep(model, optimizer, cfg, { images, labels });
      return { loss: r.loss, accuracy: r.accuracy };
    } finally {
      tf.dispose([images, labels]);
    }
  };
}

/** categories.json (softmax column order) and confusion.json, as every classifier artifact carries them. */
export function classifierArtifactFiles(categories: readonly string[], confusion: number[][]): Record<string, string> {
  return {
    'categories.json': `${JSON.stringify(categories, null, 2)}\n`,
    'confusion.json': `${JSON.stringify({ categories, rows: 'true', columns: 'predicted', matrix: confusion }, null, 2)}\n`,
  };
}
