import { Flags } from '@oclif/core';
import { BaseCommand } from '../pipeline/cli/base-command.js';
import { notImplemented } from '../pipeline/cli/errors.js';
import { runtimeFlags, seedFlag } from '../pipeline/cli/flags.js';

export default class TrainLpd extends BaseCommand {
  static override summary = 'Train the LPD CutPaste-style submodel on one category.';
  static override examples = ['<%= config.bin %> train-lpd --data ./madenet-demo/data --category BGA --out ./artifacts'];
  static override flags = {
    ...runtimeFlags,
    ...seedFlag,
    data: Flags.string({ description: 'Dataset root (MVTec AD / ManuDefect-21 layout).', required: true }),
    category: Flags.string({ description: 'Category to train on.', required: true }),
    out: Flags.string({ description: 'Artifact root; the model is saved to <out>/lpd/<category>/vNNNN.', required: true }),
    preset: Flags.string({ description: 'Model size.', options: ['paper', 'small', 'tiny'], default: 'small' }),
  };

  async run(): Promise<unknown> {
    await this.parse(TrainLpd);
    throw notImplemented('`madenet train-lpd`');
  }
}
