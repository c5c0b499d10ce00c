import { Flags } from '@oclif/core';
import { BaseCommand } from '../pipeline/cli/base-command.js';
import { notImplemented } from '../pipeline/cli/errors.js';
import { runtimeFlags, seedFlag } from '../pipeline/cli/flags.js';

export default class BuildPerfmap extends BaseCommand {
  static override summary = 'Evaluate submodels on validation data and choose the best one per category.';
  static override examples = ['<%= config.bin %> build-perfmap --data ./madenet-demo/data --models ./artifacts/srad/BGA/v0001 --out ./artifacts'];
  static override flags = {
    ...runtimeFlags,
    ...seedFlag,
    data: Flags.string({ description: 'Dataset root.', required: true }),
    models: Flags.string({ description: 'Submodel artifact directories (repeatable).', multiple: true, required: true }),
    lambda: Flags.string({ description: 'Weight of image AUROC against Pixel-AP in the choice.', default: '0.5' }),
    out: Flags.string({ description: 'Artifact root; the map is saved to <out>/perfmap/all/vNNNN.', required: true }),
  };

  async run(): Promise<unknown> {
    await this.parse(BuildPerfmap);
    throw notImplemented('`madenet build-perfmap`');
  }
}
