import { Flags } from '@oclif/core';
import { BaseCommand } from '../../pipeline/cli/base-command.js';
import { seedFlag } from '../../pipeline/cli/flags.js';
import { DEMO_CATEGORIES, DEMO_MAX_SIZE, DEMO_MIN_SIZE } from '../../pipeline/demo-data/index.js';
import { makeDemo, type MakeDemoResult } from '../../pipeline/services/make-demo.js';

export default class DatasetMakeDemo extends BaseCommand {
  static override summary = 'Generate the built-in procedural SMT demo dataset (ManuDefect-21 layout).';
  static override description =
    'Draws SMT component images (board, pads, body, leads or balls, markings, lighting jitter) for up to eleven ' +
    'categories, normal and defective, in train and test, with exact pixel masks for every defect. Seeded: the ' +
    'same flags give the same bytes.';
  static override examples = [
    '<%= config.bin %> dataset make-demo --out ./demo-data',
    '<%= config.bin %> dataset make-demo --out ./demo-data --categories BGA,QFP --size 64 --per-category 20',
  ];
  static override flags = {
    ...seedFlag,
    out: Flags.string({ char: 'o', description: 'Output directory.', required: true }),
    size: Flags.integer({ description: 'Image size in pixels (square).', default: 128, min: DEMO_MIN_SIZE, max: DEMO_MAX_SIZE }),
    'per-category': Flags.integer({ description: 'Normal training images per category.', default: 60, min: 1 }),
    'test-per-category': Flags.integer({ description: 'Normal test images per category.', default: 16, min: 0 }),
    'defects-per-category': Flags.integer({ description: 'Defective training images per category (spread over its defect types).', default: 12, min: 0 }),
    'test-defects-per-category': Flags.integer({ description: 'Defective test images per category (spread over its defect types).', default: 16, min: 0 }),
    categories: Flags.string({ description: `Comma-separated categories (default all): ${DEMO_CATEGORIES.join(',')}.` }),
    force: Flags.boolean({ description: 'Write into a non-empty folder that is not a previous demo output.', default: false }),
  };

  async run(): Promise<MakeDemoResult> {
    const { flags } = await this.parse(DatasetMakeDemo);
    const result = await makeDemo({
      out: flags.out,
      seed: flags.seed,
      size: flags.size,
      perCategory: flags['per-category'],
      testPerCategory: flags['test-per-category'],
      defectsPerCategory: flags['defects-per-category'],
      testDefectsPerCategory: flags['test-defects-per-category'],
      categories: flags.categories?.split(','),
      force: flags.force,
    });
    this.say(
      `Wrote ${result.images} images (${result.masks} defective, each with a mask) for ${result.categories.length} ` +
        `categor${result.categories.length === 1 ? 'y' : 'ies'} at ${result.size}x${result.size} px to ${result.out} ` +
        `in ${(result.elapsedMs / 1000).toFixed(1)} s (seed ${result.seed}).`,
    );
    this.say(`Defect types: ${result.defectTypes.join(', ')}.`);
    return result;
  }
}
