// `madenet infer merge DIR... --out DIR`: flags -> services/infer-merge.ts -> a summary (or the JSON result).
import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../../pipeline/cli/base-command.js';
import { inferMerge, type InferMergeResult } from '../../pipeline/services/infer-merge.js';

export default class InferMerge extends BaseCommand {
  static override summary = 'Merge the outputs of sharded infer runs into one predictions directory.';
  static override description =
    'Checks that the directories were written with one perfmap and, when sharded, that shards 0..N-1 are all there and ' +
    'finished (--allow-partial merges anyway), then writes --out/predictions.jsonl with each image once, hard-links (or ' +
    'copies) the maps and overlays its lines name, and writes --out/infer.json. An earlier merge in --out is replaced.';
  static override examples = ['<%= config.bin %> infer merge out/shard-0 out/shard-1 out/shard-2 --out out/merged', '<%= config.bin %> infer merge out/shard-* --out merged --json'];
  static override usage = 'infer merge DIR... --out DIR';
  // Any number of directories: strict off, all of them read from argv.
  static override strict = false;
  static override args = {
    dir: Args.string({ description: 'Output directories of infer runs (shards), one or more.', required: true }),
  };
  static override flags = {
    out: Flags.string({ char: 'o', description: 'Merged output directory.', required: true }),
    'allow-partial': Flags.boolean({ description: 'Merge even when shards are missing or unfinished (reported as warnings).' }),
  };

  async run(): Promise<InferMergeResult> {
    const { flags, argv } = await this.parse(InferMerge);
    const result = await inferMerge({ dirs: argv as string[], out: flags.out, allowPartial: flags['allow-partial'] });
    for (const w of result.warnings) this.note(`warning: ${w}`);
    for (const p of result.parts) this.say(`${p.dir}${p.shard ? ` (shard ${p.shard})` : ''}: ${p.lines} prediction(s)${p.complete ? '' : ', unfinished'}`);
    this.say(`Merged ${result.predictions} prediction(s)${result.duplicates ? `, ${result.duplicates} duplicate(s) dropped` : ''}, ${result.files} map/overlay file(s) into ${result.predictionsFile}`);
    return result;
  }
}
