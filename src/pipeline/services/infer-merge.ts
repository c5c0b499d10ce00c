// `madenet infer merge DIR... --out DIR`: checks that the parts are the finished shards of one perfmap, then
// joins their predictions and files into --out under its lock. The work is in infer/merge.ts.
import { resolve } from 'node:path';
import { lockOutputFolder } from '../artifacts/output-folder.js';
import { MadenetError } from '../core/errors.js';
import { checkParts, mergeParts, type MergeCounts } from '../infer/merge.js';
import { PREDICTIONS_FILE } from '../predictions/prediction.js';
import { writePredictionsCsv } from '../predictions/predictions-csv.js';

export interface InferMergeOptions {
  dirs: string[];
  out: string;
  /** Merge even with shards missing or unfinished (listed as warnings). */
  allowPartial?: boolean;
}

export interface InferMergeResult extends MergeCounts {
  out: string;
  predictionsFile: string;
  predictionsCsv: string;
  anomalies: number;
}

export async function inferMerge(opts: InferMergeOptions): Promise<InferMergeResult> {
  const out = resolve(opts.out);
  if (opts.dirs.some((d) => resolve(d) === out)) {
    throw new MadenetError('E_USAGE', `--out ${opts.out} is also one of the directories to merge; expected a separate output directory.`);
  }
  const { parts, warnings } = await checkParts(opts.dirs, opts.allowPartial ?? false);
  const { release } = await lockOutputFolder(out, 'infer merge');
  try {
    const counts = await mergeParts(parts, out, warnings);
    const table = await writePredictionsCsv(out);
    return { out, predictionsFile: `${out}/${PREDICTIONS_FILE}`, predictionsCsv: table.file, anomalies: table.anomalies, ...counts };
  } finally {
    await release();
  }
}
