// `madenet dataset inspect DIR`: counts per category/split/defect type and every problem found; the work is
// done by services/dataset-inspect.ts. Fails with E_DECODE on unreadable images unless --skip-bad-images.
import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../../pipeline/cli/base-command.js';
import { categoryFilterFlag } from '../../pipeline/cli/flags.js';
import { createProgress } from '../../pipeline/cli/progress.js';
import { badImagesError, inspectDataset, renderInspectReport, type DatasetInspectResult } from '../../pipeline/services/dataset-inspect.js';

export default class DatasetInspect extends BaseCommand {
  static override summary = 'Count images per category, split and defect type, and list every problem found.';
  static override description =
    'DIR is a dataset root holding category folders in the MVTec AD layout (<cat>/train/good, <cat>/test/<type>, ' +
    '<cat>/ground_truth/<type>/<stem>_mask.png; train/<defect-type> as in ManuDefect-21), a single category folder, ' +
    'or a manifest .csv/.jsonl (path, category, split, label, defect_type, mask). Every image and mask is decoded once. ' +
    'Exits with E_DECODE when images cannot be read, unless --skip-bad-images.';
  static override examples = [
    '<%= config.bin %> dataset inspect ./madenet-demo/data',
    '<%= config.bin %> dataset inspect ./mvtec --category transistor --json',
  ];
  static override args = {
    dir: Args.string({ description: 'Dataset root, category directory, or manifest file (.csv/.jsonl).', required: true }),
  };
  static override flags = {
    'skip-bad-images': Flags.boolean({ description: 'Count undecodable images as warnings instead of failing.' }),
    ...categoryFilterFlag('every category of DIR'),
  };

  async run(): Promise<DatasetInspectResult> {
    const { args, flags } = await this.parse(DatasetInspect);
    const progress = createProgress({ label: 'Checking images', json: this.jsonEnabled() });
    let result: DatasetInspectResult;
    try {
      result = await inspectDataset({
        root: args.dir,
        skipBadImages: flags['skip-bad-images'],
        ...(flags.category ? { categories: flags.category } : {}),
        onProgress: (done, total) => {
          progress.setTotal(total);
          progress.update(done);
        },
      });
    } finally {
      progress.stop();
    }
    for (const line of renderInspectReport(result)) this.say(line);
    const bad = badImagesError(result);
    if (bad) throw bad;
    return result;
  }
}
