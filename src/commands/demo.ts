import { Flags } from '@oclif/core';
import { BaseCommand } from '../pipeline/cli/base-command.js';
import { CATEGORY_FILTER_DESCRIPTION, runtimeFlags, seedFlag, shown } from '../pipeline/cli/flags.js';
import type { BackendRequest } from '../pipeline/runtime/backend.js';
import { DEMO_PLANS, type DemoPlanName } from '../pipeline/services/demo-plan.js';
import { runDemo, type DemoResult } from '../pipeline/services/demo.js';
import { createProgress, formatDuration, type Progress } from '../pipeline/cli/progress.js';

export default class Demo extends BaseCommand {
  static override summary = 'Run the whole MADE-Net pipeline on built-in demo data.';
  static override description =
    'Generates the procedural SMT demo dataset, inspects it, previews synthetic defects, trains SRAD, SFAD and LPD per ' +
    'category, fine-tunes them on the real train defects, trains the pre-classifier, builds the performance map, runs ' +
    'routed inference on the test split and evaluates it. Everything is written under --out; the HTML report path is ' +
    'printed at the end. With more than one wasm thread (--threads; default one per core) the categories and the ' +
    'pre-classifier train side by side, one 1-thread process per thread; --threads 1 keeps every step in this process. ' +
    'The artifacts and scores are the same either way.';
  static override examples = [
    '<%= config.bin %> demo',
    '<%= config.bin %> demo --out ./madenet-demo --category BGA,QFP --json',
    '<%= config.bin %> demo --plan full',
  ];
  static override flags = {
    ...runtimeFlags,
    ...seedFlag,
    out: Flags.string({ char: 'o', description: 'Output directory for data, artifacts, predictions and the report.', default: './madenet-demo' }),
    plan: Flags.string({
      description: `Budget: quick (${DEMO_PLANS.quick.categories.length} categories at ${DEMO_PLANS.quick.imageSize} px, under 10 minutes on 2 cores), full (all ${DEMO_PLANS.full.categories.length} categories at ${DEMO_PLANS.full.imageSize} px), or smoke (seconds; checks that every step runs, scores mean nothing).`,
      options: ['quick', 'full', 'smoke'],
      default: 'quick',
    }),
    category: Flags.string({
      description: `${CATEGORY_FILTER_DESCRIPTION} Demo categories instead of the plan's; at least two, for the pre-classifier.`,
      multiple: true,
      delimiter: ',' as const,
      defaultHelp: shown('the plan\'s'),
      aliases: ['categories'],
    }),
  };

  async run(): Promise<DemoResult> {
    const { flags } = await this.parse(Demo);
    // `[demo k/N] step` lines are printed everywhere but --json (they are the log); a bar with an ETA follows each
    // training and the inference step where progress is shown (a terminal, or MADENET_PROGRESS=lines).
    const started = performance.now();
    let bar: Progress | null = null;
    const newBar = (label: string): Progress => {
      bar?.stop();
      bar = createProgress({ label, json: this.jsonEnabled(), unit: 'img', fields: ['epoch', 'loss'] });
      return bar;
    };
    let current = '';
    let r: DemoResult;
    try {
      r = await runDemo({
        out: flags.out,
        seed: flags.seed,
        plan: flags.plan as DemoPlanName,
        categories: flags.category?.map((c) => c.trim().toUpperCase()),
        backend: flags.backend as BackendRequest,
        threads: flags.threads,
        onStep: (step, index, total) => {
          (bar as Progress | null)?.stop();
          bar = null;
          current = step;
          this.note(`[demo ${index}/${total}] ${step} (elapsed ${formatDuration((performance.now() - started) / 1000)})`);
        },
        onTrainProgress: (p) => {
          const b = bar ?? newBar(`  ${current}`);
          b.setTotal(p.totalSteps);
          b.update(p.step, { epoch: `${p.epoch + 1}/${p.epochs}`, loss: p.loss.toFixed(4), rate: p.imagesPerSecond });
        },
        onInferProgress: (done, total) => {
          const b = bar ?? newBar(`  ${current}`);
          b.setTotal(total);
          b.update(done);
        },
      });
    } finally {
      (bar as Progress | null)?.stop();
    }
    this.render(r);
    return r;
  }

  private render(r: DemoResult): void {
    const f = (v: number | null): string => (v === null ? '  n/a' : v.toFixed(3));
    const pct = (v: number | null): string => (v === null ? 'n/a' : `${(100 * v).toFixed(0)}%`);
    this.say(`Demo data: ${r.data} (${r.dataset.images} images, ${r.dataset.problems} problems found by inspect)`);
    for (const p of r.synthPreview) this.say(`Synthetic ${p.kind} preview: ${p.contactSheet}`);
    this.say('');
    this.say('category            chosen  image AUROC  pixel AUROC  Pixel-AP  AUPRO');
    for (const row of r.table) {
      this.say(`${row.category.padEnd(20)}${row.chosen.padEnd(8)}${f(row.imageAuroc).padStart(11)}  ${f(row.pixelAuroc).padStart(11)}  ${f(row.pixelAp).padStart(8)}  ${f(row.aupro).padStart(5)}`);
    }
    this.say(`${'mean'.padEnd(28)}${f(r.meanImageAuroc).padStart(11)}  ${f(r.meanPixelAuroc).padStart(11)}  ${f(r.meanPixelAp).padStart(8)}  ${f(r.meanAupro).padStart(5)}`);
    this.say('');
    const ft = r.classifierFinetune?.defectsBelowThreshold;
    if (ft) this.say(`Pre-classifier fine-tuned on real defects: held-out defects under the routing confidence ${pct(ft.before)} -> ${pct(ft.after)}.`);
    this.say(`Performance map: ${r.artifacts.perfmap}`);
    this.say(`Report: ${r.report}`);
    this.say(`Finished in ${(r.seconds / 60).toFixed(1)} min, ${(r.cpuSeconds / 60).toFixed(1)} CPU min, training in ${r.lanes} process${r.lanes === 1 ? '' : 'es'} (${r.steps.map((s) => `${s.step} ${s.seconds.toFixed(0)}s`).join(', ')}).`);
  }
}
