import { Flags } from '@oclif/core';
import { BaseCommand } from '../pipeline/cli/base-command.js';
import { notImplemented } from '../pipeline/cli/errors.js';
import { runtimeFlags, seedFlag } from '../pipeline/cli/flags.js';

export default class Evaluate extends BaseCommand {
  static override summary = 'Compute exact metrics for a predictions directory and write a report.';
  static override examples = ['<%= config.bin %> evaluate --predictions ./predictions --data ./madenet-demo/data --out ./report'];
  static override flags = {
    ...runtimeFlags,
    ...seedFlag,
    predictions: Flags.string({ description: 'Predictions directory written by infer.' }),
    data: Flags.string({ description: 'Dataset root with the ground truth.', required: true }),
    out: Flags.string({ description: 'Directory for metrics.json, metrics.csv, metrics.md and report.html.' }),
  };

  async run(): Promise<unknown> {
    await this.parse(Evaluate);
    throw notImplemented('`madenet evaluate`');
  }
}
