import { Flags } from '@oclif/core';
import { BaseCommand } from '../pipeline/cli/base-command.js';
import { notImplemented } from '../pipeline/cli/errors.js';
import { runtimeFlags, seedFlag } from '../pipeline/cli/flags.js';

export default class TrainSfad extends BaseCommand {
  static override summary = 'Train the SFAD SimpleNet-style feature submodel on one category.';
  static override examples = ['<%= config.bin %> train-sfad --data ./madenet-demo/data --category BGA --out ./artifacts'];
  static override flags = {
    ...runtimeFlags,
    ...seedFlag,
    data: Flags.string({ description: 'Dataset root (MVTec AD / ManuDefect-21 layout).', required: true }),
    category: Flags.string({ description: 'Category to train on.', required: true }),
    out: Flags.string({ description: 'Artifact root; the model is saved to <out>/sfad/<category>/vNNNN.', required: true }),
    backbone: Flags.string({ description: 'Backbone: a backbone or LPD artifact directory, or random.', default: 'random' }),
    preset: Flags.string({ description: 'Model size.', options: ['paper', 'small', 'tiny'], default: 'small' }),
  };

  async run(): Promise<unknown> {
    await this.parse(TrainSfad);
    throw notImplemented('`madenet train-sfad`');
  }
}
