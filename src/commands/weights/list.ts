import { BaseCommand } from '../../pipeline/cli/base-command.js';
import { listBackbones, type BackboneListing } from '../../pipeline/weights/backbone-registry.js';

export interface WeightsListResult {
  backbones: BackboneListing[];
}

export default class WeightsList extends BaseCommand {
  static override summary = 'List the backbones available without a download.';
  static override description =
    'Shows every backbone id that --backbone accepts without a path: pretrained networks shipped inside npm packages ' +
    '(installed or not, with package version, licence, native size and layers) and seeded random weights. Directories ' +
    'written by `madenet weights import` or train-lpd are accepted too.';
  static override examples = ['<%= config.bin %> weights list', '<%= config.bin %> weights list --json'];

  async run(): Promise<WeightsListResult> {
    await this.parse(WeightsList);
    const backbones = listBackbones();
    for (const b of backbones) {
      const origin = b.version ? `${b.source} ${b.version}, licence ${b.license ?? 'unknown'}` : b.source;
      this.say(`${b.id}  ${b.available ? 'available' : 'NOT INSTALLED'}  (${origin}${b.nativeSize ? `, native ${b.nativeSize} px` : ''})`);
      this.say(`    layers: ${b.layers.join(', ')}; default ${b.defaultLayers.join(' + ')}`);
      this.say(`    ${b.note}`);
    }
    return { backbones };
  }
}
