import { Flags } from '@oclif/core';
import { BaseCommand } from '../../pipeline/cli/base-command.js';
import { notImplemented } from '../../pipeline/cli/errors.js';
import { runtimeFlags, seedFlag } from '../../pipeline/cli/flags.js';

export default class DatasetInspect extends BaseCommand {
  static override summary = 'Count images per category, split and defect type, and list every problem found.';
  static override examples = ['<%= config.bin %> dataset inspect ./madenet-demo/data'];
  static override flags = {
    ...runtimeFlags,
    ...seedFlag,
    'skip-bad-images': Flags.boolean({ description: 'Count undecodable images as warnings instead of failing.' }),
  };

  async run(): Promise<unknown> {
    await this.parse(DatasetInspect);
    throw notImplemented('`madenet dataset inspect`');
  }
}
