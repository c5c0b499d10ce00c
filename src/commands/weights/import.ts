import { Flags } from '@oclif/core';
import { BaseCommand } from '../../pipeline/cli/base-command.js';
import { notImplemented } from '../../pipeline/cli/errors.js';
import { runtimeFlags, seedFlag } from '../../pipeline/cli/flags.js';

export default class WeightsImport extends BaseCommand {
  static override summary = 'Import pretrained weights from a safetensors file into a backbone artifact.';
  static override examples = ['<%= config.bin %> weights import resnet18.safetensors --arch resnet18 --out ./artifacts'];
  static override flags = {
    ...runtimeFlags,
    ...seedFlag,
    arch: Flags.string({ description: 'Architecture of the weights.', required: true }),
    out: Flags.string({ description: 'Artifact root.', required: true }),
  };

  async run(): Promise<unknown> {
    await this.parse(WeightsImport);
    throw notImplemented('`madenet weights import`');
  }
}
