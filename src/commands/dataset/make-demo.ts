import { Flags } from '@oclif/core';
import { BaseCommand } from '../../pipeline/cli/base-command.js';
import { CATEGORY_FILTER_DESCRIPTION, seedFlag, shown } from '../../pipeline/cli/flags.js';
import { DEMO_CATEGORIES, DEMO_DEFECT_TYPES, DEMO_MAX_PANEL, type DemoDefectType, DEMO_MAX_SIZE, DEMO_MIN_SIZE } from '../../pipeline/demo-data/index.js';
import { makeDemo, type MakeDemoResult } from '../../pipeline/services/make-demo.js';

export default class DatasetMakeDemo extends BaseCommand {
  static override summary = 'Generate the built-in procedural SMT demo dataset (ManuDefect-21 layout).';
  static override description =
    'Draws SMT component images (board, pads, body, leads or balls, markings, lighting jitter) for up to eleven ' +
    'categories, normal and defective, in train and test, with exact pixel masks for every defect. Seeded: the ' +
    'same flags give the same bytes.';
  static override examples = [
    '<%= config.bin %> dataset make-demo --out ./demo-data',
    '<%= config.bin %> dataset make-demo --out ./demo-data --category BGA,QFP --size 64 --per-category 20',
  ];
  static override flags = {
    ...seedFlag,
    out: Flags.string({ char: 'o', description: 'Output directory.', required: true }),
    size: Flags.integer({ description: 'Image size in pixels (square; with --panel, the size of one part).', default: 128, min: DEMO_MIN_SIZE, max: DEMO_MAX_SIZE }),
    panel: Flags.integer({
      description: 'Parts per side of each image: a panel of N x N parts of --size px, with a defect in one part only (small defects on large images: --size 128 --panel 8 gives 1024 px images, defects about 1% of the side).',
      default: 1,
      min: 1,
      max: DEMO_MAX_PANEL,
    }),
    'defect-types': Flags.string({
      description: 'Only these defect types (comma list), of those each category has; e.g. the small ones: solder_ball,scratch,foreign_material,solder_bridge.',
      multiple: true,
      delimiter: ',',
      defaultHelp: shown('every type of the category'),
      options: [...DEMO_DEFECT_TYPES],
    }),
    'per-category': Flags.integer({ description: 'Normal training images per category.', default: 60, min: 1 }),
    'test-per-category': Flags.integer({ description: 'Normal test images per category.', default: 16, min: 0 }),
    'defects-per-category': Flags.integer({ description: 'Defective training images per category (spread over its defect types).', default: 12, min: 0 }),
    'test-defects-per-category': Flags.integer({ description: 'Defective test images per category (spread over its defect types).', default: 16, min: 0 }),
    // Not categoryFilterFlag(): the demo categories are a fixed list (there is no --data yet), so the help names them.
    category: Flags.string({
      description: `${CATEGORY_FILTER_DESCRIPTION} Any of ${DEMO_CATEGORIES.join(', ')} (any case).`,
      multiple: true,
      delimiter: ',' as const,
      defaultHelp: shown('all'),
      aliases: ['categories'],
    }),
    force: Flags.boolean({ description: 'Write into a non-empty folder that is not a previous demo output.', default: false }),
  };

  async run(): Promise<MakeDemoResult> {
    const { flags } = await this.parse(DatasetMakeDemo);
    const result = await makeDemo({
      out: flags.out,
      seed: flags.seed,
      size: flags.size,
      panel: flags.panel,
      ...(flags['defect-types'] ? { defectTypes: flags['defect-types'] as DemoDefectType[] } : {}),
      perCategory: flags['per-category'],
      testPerCategory: flags['test-per-category'],
      defectsPerCategory: flags['defects-per-category'],
      testDefectsPerCategory: flags['test-defects-per-category'],
      categories: flags.category,
      force: flags.force,
    });
    this.say(
      `Wrote ${result.images} images (${result.masks} defective, each with a mask) for ${result.categories.length} ` +
        `categor${result.categories.length === 1 ? 'y' : 'ies'} at ${result.size * result.panel}x${result.size * result.panel} px${result.panel > 1 ? ` (panels of ${result.panel}x${result.panel} parts)` : ''} to ${result.out} ` +
        `in ${(result.elapsedMs / 1000).toFixed(1)} s (seed ${result.seed}).`,
    );
    this.say(`Defect types: ${result.defectTypes.join(', ')}.`);
    return result;
  }
}
