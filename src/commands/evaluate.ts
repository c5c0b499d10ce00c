import { Flags } from '@oclif/core';
import { BaseCommand } from '../pipeline/cli/base-command.js';
import { ARTIFACT_REFERENCE, TARGET_FPR_DESCRIPTION_PREFIX, categoryFilterFlag, dataFlag, runtimeFlags, shown } from '../pipeline/cli/flags.js';
import { createProgress } from '../pipeline/cli/progress.js';
import { toConsoleTable } from '../pipeline/eval/report/metrics-table.js';
import type { EvaluationMetrics } from '../pipeline/eval/report/metrics-json.js';
import { evaluate } from '../pipeline/services/evaluate.js';
import type { BackendRequest } from '../pipeline/runtime/backend.js';

export default class Evaluate extends BaseCommand {
  static override summary = 'Compute exact metrics for a predictions directory and write a report.';
  static override description =
    'Pairs predictions.jsonl with the ground truth by image path, prints image AUROC/AP, pixel AUROC/AP, AUPRO@0.3, ' +
    'F1-max and TPR at a fixed FPR per category and defect type, and writes metrics.json, metrics.csv, metrics.md and ' +
    'report.html (one self-contained file with charts, per-defect-type results, worst misses and false alarms). --json prints metrics.json.';
  static override examples = [
    '<%= config.bin %> evaluate --predictions ./predictions --data ./madenet-demo/data --out ./report',
    '<%= config.bin %> evaluate --predictions ./predictions --data ./mvtec --category capacitor --json',
    '<%= config.bin %> evaluate --model ./artifacts/srad/BGA --data ./madenet-demo/data --out ./eval-srad-bga',
  ];
  static override flags = {
    predictions: Flags.string({ description: 'Predictions directory written by infer (predictions.jsonl and maps).', exactlyOne: ['predictions', 'model'] }),
    model: Flags.string({ description: `Submodel or perfmap artifact (${ARTIFACT_REFERENCE}) to run on the test split first, then evaluate (outputs under --out).` }),
    ...runtimeFlags,
    'batch-size': Flags.integer({ description: 'With --model: images per forward pass (raise it on a GPU).', default: 8, min: 1 }),
    ...dataFlag(' with the ground truth'),
    ...categoryFilterFlag('every category of the predictions'),
    out: Flags.string({ char: 'o', description: 'Output directory for metrics.json, metrics.csv, metrics.md and report.html.', defaultHelp: shown('<predictions>/evaluation, or ./madenet-evaluation with --model') }),
    'target-fpr': Flags.string({ description: `${TARGET_FPR_DESCRIPTION_PREFIX} at which the TPR is reported.`, default: '0.01', aliases: ['fpr'] }),
    examples: Flags.integer({ description: 'Worst misses and false alarms shown per category in the report.', default: 4, min: 0 }),
  };

  async run(): Promise<EvaluationMetrics> {
    const { flags } = await this.parse(Evaluate);
    const progress = createProgress({ label: 'maps', json: this.jsonEnabled() });
    const { metrics, files } = await evaluate({
      predictions: flags.predictions,
      model: flags.model,
      backend: flags.backend as BackendRequest,
      threads: flags.threads,
      batchSize: flags['batch-size'],
      data: flags.data,
      categories: flags.category,
      out: flags.out,
      fpr: Number(flags['target-fpr']),
      examples: flags.examples,
      onMap: (done, total) => {
        progress.setTotal(total);
        progress.update(done);
      },
    }).finally(() => progress.stop());
    for (const w of metrics.warnings) this.note(`warning: ${w}`);
    this.say(toConsoleTable(metrics.rows, metrics.mean, metrics.settings.fpr));
    this.say();
    this.say(`Wrote ${files.json}, ${files.csv}, ${files.md}`);
    this.say(`Report: ${files.html} (one self-contained file)`);
    return metrics;
  }
}
