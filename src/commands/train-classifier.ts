import { Flags } from '@oclif/core';
import { CLASSIFIER_PRESETS, type ClassifierPresetName } from '../models/classifier/config.js';
import { MadenetError } from '../pipeline/core/errors.js';
import { categoryFilterFlag, dataFlag, imageSizeFlag, runtimeFlags, seedFlag, shown } from '../pipeline/cli/flags.js';
import { TrainingCommand } from '../pipeline/cli/training-command.js';
import { formatMetric } from '../pipeline/cli/training-session.js';
import type { BackendRequest } from '../pipeline/runtime/backend.js';
import { trainClassifier, type TrainClassifierResult } from '../pipeline/services/train-classifier.js';
import { isNpmBackbone } from '../pipeline/weights/backbone-registry.js';

const DEFAULT_LR = '1e-3';
/** Measured on the shared real categories: 3e-4 trained the packaged MobileNetV2 body, 1e-3 wrecked it. */
const DEFAULT_PRETRAINED_LR = '3e-4';

export default class TrainClassifier extends TrainingCommand {
  static override summary = 'Train the EfficientNet pre-classifier that routes images to their component category.';
  static override description =
    'Every train-split image of each category (normal or defective) is labelled with its category; batches are ' +
    'class-balanced. A seeded share of each category is held out; the epoch with the best balanced accuracy on it ' +
    'is saved to <out>/classifier/all/vNNNN with the category list, accuracy and confusion matrix. Checkpoints go to ' +
    '<out>/checkpoints/classifier/all; --resume continues from the newest one exactly.';
  static override examples = [
    '<%= config.bin %> train-classifier --data ./madenet-demo/data --out ./artifacts',
    '<%= config.bin %> train-classifier --data ./madenet-demo/data --out ./artifacts --preset tiny --image-size 64 --epochs 3 --json',
    '<%= config.bin %> train-classifier --data ./data --out ./artifacts --preset paper --backbone ./artifacts/backbone/efficientnet_b4',
  ];
  static override flags = {
    ...runtimeFlags,
    ...seedFlag,
    ...imageSizeFlag,
    ...dataFlag(' holding several categories'),
    out: Flags.string({ char: 'o', description: 'Artifact root; the model is saved to <out>/classifier/all/vNNNN.', required: true }),
    preset: Flags.string({ description: 'Model size (paper = EfficientNet-B4 at 380 px, small = B0 at 128 px).', options: [...CLASSIFIER_PRESETS], default: 'small' }),
    ...categoryFilterFlag(),
    epochs: Flags.integer({ description: 'Passes over the training images.', default: 10, min: 1 }),
    'batch-size': Flags.integer({ description: 'Images per optimiser step.', default: 16, min: 1 }),
    lr: Flags.string({
      description:
        'Adam learning rate (decays x0.2 at 80% and 90% of the steps). A pretrained body is fine-tuned gently: at 1e-3 the nsfwjs MobileNetV2 collapsed to one class on real data (bench/real/classifier-options.ts).',
      defaultHelp: shown('1e-3; 3e-4 with --backbone npm:...'),
    }),
    backbone: Flags.string({ description: 'random, an EfficientNet backbone artifact from `weights import`, or a packaged pretrained network as the body (npm:nsfwjs/mobilenet_v2; `madenet weights list`).', default: 'random' }),
    'val-fraction': Flags.string({ description: 'Share of each category held out for validation.', default: '0.2' }),
    'checkpoint-every': Flags.integer({ description: 'Save a checkpoint every N steps and at each epoch end (0 = never).', default: 100, min: 0 }),
    resume: Flags.boolean({ description: 'Continue from the newest classifier checkpoint in --out.', default: false }),
  };

  async run(): Promise<TrainClassifierResult> {
    const { flags } = await this.parse(TrainClassifier);
    const lrText = flags.lr ?? (isNpmBackbone(flags.backbone) ? DEFAULT_PRETRAINED_LR : DEFAULT_LR);
    const lr = Number(lrText);
    const valFraction = Number(flags['val-fraction']);
    if (!Number.isFinite(lr)) throw new MadenetError('E_USAGE', `--lr is ${lrText}; expected a number such as 1e-3.`);
    if (!Number.isFinite(valFraction)) throw new MadenetError('E_USAGE', `--val-fraction is ${flags['val-fraction']}; expected a number in (0, 1).`);
    const session = this.startSession('classifier');
    const result = await trainClassifier({
      data: flags.data,
      out: flags.out,
      preset: flags.preset as ClassifierPresetName,
      imageSize: flags['image-size'],
      categories: flags.category,
      epochs: flags.epochs,
      batchSize: flags['batch-size'],
      lr,
      seed: flags.seed,
      backend: flags.backend as BackendRequest,
      threads: flags.threads,
      valFraction,
      checkpointEvery: flags['checkpoint-every'],
      resume: flags.resume,
      backbone: flags.backbone,
      signal: session.signal,
      onProgress: session.onProgress,
      onEpoch: this.epochNotes(
        session,
        (e) => `epoch ${e.epoch}: loss ${e.meanLoss.toFixed(4)}, val accuracy ${formatMetric(e.validation?.accuracy)}, balanced ${formatMetric(e.validation?.balancedAccuracy)}`,
      ),
    }).finally(session.end);
    this.sayRunNotes(result);
    const m = result.metrics;
    this.say(`Trained the pre-classifier (${result.preset}, ${result.variant}, ${result.imageSize} px) on ${result.categories.length} categories: ${result.steps} steps in ${result.seconds.toFixed(1)} s, ${result.imagesPerSecond.toFixed(1)} img/s.`);
    this.say(`Best epoch ${m.bestEpoch}: validation accuracy ${formatMetric(m.accuracy)}, balanced ${formatMetric(m.balancedAccuracy)} on ${m.images} images.`);
    this.say(confusionTable(result.categories, m.confusion));
    this.say(`Saved ${result.artifact.dir}`);
    return result;
  }
}


/** Rows: true category; columns: predicted (numbered in the row order). */
function confusionTable(categories: string[], confusion: number[][]): string {
  const width = Math.max(...categories.map((c) => c.length));
  const head = `${''.padEnd(width + 4)}${categories.map((_, i) => String(i).padStart(5)).join('')}`;
  const rows = categories.map((c, i) => `${String(i).padStart(2)} ${c.padEnd(width)} ${(confusion[i] ?? []).map((n) => String(n).padStart(5)).join('')}`);
  return ['confusion (rows: true, columns: predicted)', head, ...rows].join('\n');
}
