import { Flags } from '@oclif/core';
import { BaseCommand } from '../pipeline/cli/base-command.js';
import { notImplemented } from '../pipeline/cli/errors.js';
import { runtimeFlags, seedFlag } from '../pipeline/cli/flags.js';

export default class Finetune extends BaseCommand {
  static override summary = 'Fine-tune a trained submodel on real defects with their pixel masks.';
  static override examples = ['<%= config.bin %> finetune --model ./artifacts/srad/BGA/v0001 --data ./madenet-demo/data'];
  static override flags = {
    ...runtimeFlags,
    ...seedFlag,
    model: Flags.string({ description: 'Artifact directory of the unsupervised submodel to continue from.', required: true }),
    data: Flags.string({ description: 'Dataset root with real defects in train/<defect-type> and ground_truth/.', required: true }),
    'real-ratio': Flags.string({ description: 'Fraction of defective samples per batch drawn from real defects (rest synthetic).', default: '0.5' }),
  };

  async run(): Promise<unknown> {
    await this.parse(Finetune);
    throw notImplemented('`madenet finetune`');
  }
}
