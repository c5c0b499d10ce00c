import { Flags } from '@oclif/core';
import { BaseCommand } from '../pipeline/cli/base-command.js';
import { notImplemented } from '../pipeline/cli/errors.js';
import { runtimeFlags, seedFlag } from '../pipeline/cli/flags.js';

export default class Demo extends BaseCommand {
  static override summary = 'Run the whole MADE-Net pipeline on built-in demo data.';
  static override examples = ['<%= config.bin %> demo --out ./madenet-demo'];
  static override flags = {
    ...runtimeFlags,
    ...seedFlag,
    out: Flags.string({ description: 'Output directory.', default: './madenet-demo' }),
  };

  async run(): Promise<unknown> {
    await this.parse(Demo);
    throw notImplemented('`madenet demo`');
  }
}
