import { Flags } from '@oclif/core';
import { BaseCommand } from '../pipeline/cli/base-command.js';
import { notImplemented } from '../pipeline/cli/errors.js';
import { runtimeFlags, seedFlag } from '../pipeline/cli/flags.js';

export default class TrainClassifier extends BaseCommand {
  static override summary = 'Train the EfficientNet pre-classifier that routes images to their component category.';
  static override examples = ['<%= config.bin %> train-classifier --data ./madenet-demo/data --out ./artifacts'];
  static override flags = {
    ...runtimeFlags,
    ...seedFlag,
    data: Flags.string({ description: 'Dataset root holding several categories.', required: true }),
    out: Flags.string({ description: 'Artifact root; the model is saved to <out>/classifier/all/vNNNN.', required: true }),
    preset: Flags.string({ description: 'Model size (paper = EfficientNet-B4).', options: ['paper', 'small', 'tiny'], default: 'small' }),
  };

  async run(): Promise<unknown> {
    await this.parse(TrainClassifier);
    throw notImplemented('`madenet train-classifier`');
  }
}
