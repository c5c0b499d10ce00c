import { Flags } from '@oclif/core';
import { BaseCommand } from '../pipeline/cli/base-command.js';
import { notImplemented } from '../pipeline/cli/errors.js';
import { runtimeFlags, seedFlag } from '../pipeline/cli/flags.js';

export default class Doctor extends BaseCommand {
  static override summary = 'Show the compute backends, versions and threads, and benchmark them.';
  static override examples = ['<%= config.bin %> doctor'];
  static override flags = {
    ...runtimeFlags,
    ...seedFlag,
    bench: Flags.boolean({ description: 'Run the full engine benchmark.' }),
  };

  async run(): Promise<unknown> {
    await this.parse(Doctor);
    throw notImplemented('`madenet doctor`');
  }
}
