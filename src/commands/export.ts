import { Flags } from '@oclif/core';
import { BaseCommand } from '../pipeline/cli/base-command.js';
import { notImplemented } from '../pipeline/cli/errors.js';
import { runtimeFlags, seedFlag } from '../pipeline/cli/flags.js';

export default class Export extends BaseCommand {
  static override summary = 'Export a model artifact to ONNX and check parity against TensorFlow.js.';
  static override examples = ['<%= config.bin %> export --model ./artifacts/srad/BGA/v0001'];
  static override flags = {
    ...runtimeFlags,
    ...seedFlag,
    model: Flags.string({ description: 'Artifact directory.', required: true }),
    format: Flags.string({ description: 'Export format.', options: ['onnx'], default: 'onnx' }),
  };

  async run(): Promise<unknown> {
    await this.parse(Export);
    throw notImplemented('`madenet export`');
  }
}
