import { Flags } from '@oclif/core';
import { BaseCommand } from '../pipeline/cli/base-command.js';
import { notImplemented } from '../pipeline/cli/errors.js';
import { runtimeFlags, seedFlag } from '../pipeline/cli/flags.js';

export default class Infer extends BaseCommand {
  static override summary = 'Batch inference: classify each image, route it to the chosen submodel and write predictions.jsonl.';
  static override examples = ['<%= config.bin %> infer --perfmap ./artifacts/perfmap/all/v0001 --input \"images/**/*.png\" --out ./predictions'];
  static override flags = {
    ...runtimeFlags,
    ...seedFlag,
    perfmap: Flags.string({ description: 'Performance map artifact directory.', required: true }),
    input: Flags.string({ description: 'Glob, directory, or - for a list of paths on stdin.', required: true }),
    out: Flags.string({ description: 'Output directory for predictions.jsonl and maps.', required: true }),
  };

  async run(): Promise<unknown> {
    await this.parse(Infer);
    throw notImplemented('`madenet infer`');
  }
}
