import { Flags } from '@oclif/core';
import { BaseCommand } from '../../pipeline/cli/base-command.js';
import { notImplemented } from '../../pipeline/cli/errors.js';
import { runtimeFlags, seedFlag } from '../../pipeline/cli/flags.js';

export default class DatasetMakeDemo extends BaseCommand {
  static override summary = 'Generate the built-in procedural SMT demo dataset (ManuDefect-21 layout).';
  static override examples = ['<%= config.bin %> dataset make-demo --out ./demo-data'];
  static override flags = {
    ...runtimeFlags,
    ...seedFlag,
    out: Flags.string({ description: 'Output directory.', required: true }),
    size: Flags.integer({ description: 'Image size in pixels.', default: 128 }),
    'per-category': Flags.integer({ description: 'Normal training images per category.', default: 40 }),
  };

  async run(): Promise<unknown> {
    await this.parse(DatasetMakeDemo);
    throw notImplemented('`madenet dataset make-demo`');
  }
}
