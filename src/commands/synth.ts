import { Flags } from '@oclif/core';
import { BaseCommand } from '../pipeline/cli/base-command.js';
import { notImplemented } from '../pipeline/cli/errors.js';
import { runtimeFlags, seedFlag } from '../pipeline/cli/flags.js';

export default class Synth extends BaseCommand {
  static override summary = 'Generate synthetic anomalies (texture, structural, CutPaste) with masks and a contact sheet.';
  static override examples = ['<%= config.bin %> synth --data ./madenet-demo/data --category BGA --out ./synth --count 16'];
  static override flags = {
    ...runtimeFlags,
    ...seedFlag,
    data: Flags.string({ description: 'Dataset root.', required: true }),
    category: Flags.string({ description: 'Category whose normal training images are used.', required: true }),
    out: Flags.string({ description: 'Output directory.', required: true }),
    count: Flags.integer({ description: 'Number of samples.', default: 16 }),
    kind: Flags.string({ description: 'Kind of anomaly.', options: ['texture', 'structural', 'mixed', 'cutpaste'], default: 'mixed' }),
  };

  async run(): Promise<unknown> {
    await this.parse(Synth);
    throw notImplemented('`madenet synth`');
  }
}
