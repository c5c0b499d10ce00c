import { Flags } from '@oclif/core';
import { BaseCommand } from '../../pipeline/cli/base-command.js';
import { notImplemented } from '../../pipeline/cli/errors.js';
import { runtimeFlags, seedFlag } from '../../pipeline/cli/flags.js';

export default class InferMerge extends BaseCommand {
  static override summary = 'Merge the outputs of sharded infer runs into one predictions directory.';
  static override examples = ['<%= config.bin %> infer merge shard-0 shard-1 --out merged'];
  static override flags = {
    ...runtimeFlags,
    ...seedFlag,
    out: Flags.string({ description: 'Merged output directory.', required: true }),
  };

  async run(): Promise<unknown> {
    await this.parse(InferMerge);
    throw notImplemented('`madenet infer merge`');
  }
}
