import { Flags } from '@oclif/core';
import { BaseCommand } from '../pipeline/cli/base-command.js';
import { runtimeFlags, seedFlag } from '../pipeline/cli/flags.js';
import { DEMO_DEFAULT_CATEGORIES, runDemo, type DemoResult } from '../pipeline/services/demo.js';

export default class Demo extends BaseCommand {
  static override summary = 'Run the whole MADE-Net pipeline on built-in demo data.';
  static override description =
    'Generates the procedural SMT demo dataset, inspects it, previews synthetic defects and runs every pipeline ' +
    'step on it, writing all data, artifacts and reports under --out.';
  static override examples = [
    '<%= config.bin %> demo',
    '<%= config.bin %> demo --out ./madenet-demo --categories BGA,QFP --json',
  ];
  static override flags = {
    ...runtimeFlags,
    ...seedFlag,
    out: Flags.string({ description: 'Output directory for data, artifacts and reports.', default: './madenet-demo' }),
    categories: Flags.string({ description: `Comma-separated demo categories (default ${DEMO_DEFAULT_CATEGORIES.join(',')}).` }),
    size: Flags.integer({ description: 'Image size of the generated demo data in pixels.', default: 128, min: 32, max: 512 }),
  };

  async run(): Promise<DemoResult> {
    const { flags } = await this.parse(Demo);
    const result = await runDemo({
      out: flags.out,
      seed: flags.seed,
      size: flags.size,
      categories: flags.categories?.split(',').map((c) => c.trim().toUpperCase()),
      onStep: (step) => this.note(`[demo] ${step}`),
    });
    this.say(`Demo data: ${result.data} (${result.dataset.images} images, ${result.inspect.problems} problems)`);
    for (const p of result.synthPreview) this.say(`Synthetic ${p.kind} preview: ${p.contactSheet}`);
    this.say(`Steps: ${result.steps.map((s) => `${s.step} ${s.seconds.toFixed(1)}s`).join(', ')}`);
    this.say(`Finished in ${result.seconds.toFixed(1)} s; everything is under ${result.out}.`);
    return result;
  }
}
