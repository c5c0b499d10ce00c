// bench/results/real.md from a BenchResults object: a table per category and submodel with the routed row, a
// routed summary, the published reference points marked as not comparable, and how the run was made. Pure text.
import { renderRankings } from './ranking.js';
import { PUBLISHED_REFERENCES, type BenchResults, type CategoryResult, type Metrics, type SubmodelRow } from './results.js';

const NAMES: Record<string, string> = { srad: 'SRAD', lpd: 'LPD', 'sfad-lpd': 'SFAD (LPD backbone)', 'sfad-random': 'SFAD (random backbone)', patchcore: 'PatchCore' };

/** Issue #20's done-when targets on the shared categories (by folder relative to the data root). */
export const TARGETS: readonly { dir: string; imageAuroc: number; pixelAuroc: number | null }[] = [
  { dir: 'mvtec_ad/transistor', imageAuroc: 0.95, pixelAuroc: 0.95 },
  { dir: 'mpdd/metal_plate', imageAuroc: 0.95, pixelAuroc: null },
];

export function fmt(v: number | null | undefined, digits = 3): string {
  return v === null || v === undefined || !Number.isFinite(v) ? 'n/a' : v.toFixed(digits);
}

function pct(v: number | null): string {
  return v === null ? 'n/a' : (100 * v).toFixed(1);
}

function seconds(s: number): string {
  return s >= 120 ? `${Math.round(s)} s (${(s / 60).toFixed(1)} min)` : `${s.toFixed(s < 10 ? 1 : 0)} s`;
}

function routes(counts: Record<string, number>): string {
  return Object.entries(counts)
    .filter(([, n]) => n > 0)
    .map(([k, n]) => `${k} ${n}`)
    .join(', ');
}

function metricCells(m: Metrics): string {
  return `${fmt(m.imageAuroc)} | ${fmt(m.pixelAuroc)} | ${fmt(m.pixelAp)} | ${fmt(m.aupro)}`;
}

/** Train images per second of training; older results lack the field and get it from epochs x images / seconds. */
function trainRate(r: SubmodelRow): number | null {
  if (r.trainImagesPerSecond !== undefined) return r.trainImagesPerSecond;
  return r.trainSeconds > 0 ? (r.trainImages * r.epochs) / r.trainSeconds : null;
}

function submodelRow(r: SubmodelRow): string {
  const epochs = r.kind === 'patchcore' ? 'none (memory bank)' : r.bestEpoch === null ? `${r.epochs}` : `${r.epochs} (best ${r.bestEpoch})`;
  return `| ${NAMES[r.id] ?? r.id} | ${r.preset}, ${r.imageSize} px | ${epochs} | ${metricCells(r)} | ${seconds(r.trainSeconds)}${r.trainCpuSeconds !== undefined ? `, CPU ${seconds(r.trainCpuSeconds)}` : ''} | ${fmt(trainRate(r), 1)} | ${fmt(r.inferImagesPerSecond, 1)} |`;
}

/** CPU seconds of the category's training when every row measured it, else null (older runs: wall time only). */
export function categoryCpuSeconds(c: CategoryResult): number | null {
  return c.submodels.every((s) => s.trainCpuSeconds !== undefined) ? c.submodels.reduce((a, s) => a + (s.trainCpuSeconds as number), 0) : null;
}

/** The submodel alone with the highest test image AUROC (the sfad-random extra run included). */
export function bestSingle(c: CategoryResult): SubmodelRow | null {
  const usable = c.submodels.filter((r) => r.imageAuroc !== null);
  return usable.length === 0 ? null : usable.reduce((a, b) => ((b.imageAuroc as number) > (a.imageAuroc as number) ? b : a));
}

/** "met" or "short by 0.012" for a measured value against a target. */
function against(v: number | null, target: number): string {
  if (v === null) return 'not measured';
  return v >= target ? `met (${fmt(v)} >= ${target})` : `**not met: ${fmt(v)}, short by ${fmt(target - v)}**`;
}

/** The done-when lines of issue #20 that this run can check, each met or short by how much. */
export function renderTargets(r: BenchResults): string[] {
  const lines: string[] = [];
  for (const t of TARGETS) {
    const c = r.categories.find((x) => x.dir === t.dir);
    if (!c) continue;
    const pixel = t.pixelAuroc === null ? '' : `; pixel AUROC >= ${t.pixelAuroc}: ${against(c.routed.pixelAuroc, t.pixelAuroc)}`;
    lines.push(`- ${c.name} (\`${c.dir}\`) routed image AUROC >= ${t.imageAuroc}: ${against(c.routed.imageAuroc, t.imageAuroc)}${pixel}.`);
  }
  for (const c of r.categories) {
    const best = bestSingle(c);
    if (!best || c.routed.imageAuroc === null) continue;
    const d = c.routed.imageAuroc - (best.imageAuroc as number);
    lines.push(`- ${c.name}: routed ${fmt(c.routed.imageAuroc)} ${d >= 0 ? '>=' : '<'} best single ${NAMES[best.id] ?? best.id} ${fmt(best.imageAuroc)}${d >= 0 ? ': met' : `: **not met, short by ${fmt(-d)}**`}.`);
  }
  const limit = r.trainingLimitMinutes;
  if (limit !== undefined) {
    for (const c of r.categories) {
      // CPU seconds where measured: on a shared machine the wall time also counts other jobs' turns.
      const cpu = categoryCpuSeconds(c);
      const spent = cpu ?? c.trainSeconds;
      const what = cpu === null ? `training ${seconds(c.trainSeconds)} (wall; CPU not measured)` : `training CPU ${seconds(cpu)} (wall ${seconds(c.trainSeconds)})`;
      const over = spent - limit * 60;
      lines.push(`- ${c.name}: ${what} ${over <= 0 ? `within the ${limit} min limit` : `**over the ${limit} min limit by ${seconds(over)}**`}.`);
    }
  }
  return lines.length === 0 ? [] : ['## Targets (issue #20)', '', ...lines, ''];
}

function routedRow(c: CategoryResult, imagesPerSecond: number): string {
  const by = Object.entries(c.routed.scoredBy)
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([k, n]) => `${k} ${n}`)
    .join(', ');
  const margin = c.routed.margin === null ? '' : `, margin ${fmt(c.routed.margin)}`;
  const routing = `scored by ${by || 'none'}${c.routed.misrouted > 0 ? `; ${c.routed.misrouted} misrouted` : ''}`;
  return `| **routed** -> ${c.routed.chosen}${margin} (${routing}) | | | ${metricCells(c.routed)} | | | ${fmt(imagesPerSecond, 1)} (all categories) |`;
}

function categorySection(c: CategoryResult, r: BenchResults): string[] {
  return [
    `### ${c.name} (\`${c.dir}\`)`,
    '',
    `- Data: ${c.trainNormals} train normals (${c.validation.normals} held out for validation), ${c.trainDefects} train defects; ` +
      `test split ${c.testNormals + c.testDefects} images (${c.testNormals} normal, ${c.testDefects} defective); native ${c.resolution}, scored at ${r.imageSize} px.`,
    `- Validation (epoch choice, thresholds, perfmap): ${c.validation.normals} held-out normals + ${c.validation.defects} ${{ synthetic: 'synthetic', 'train-defects': 'real train', 'validation-data': 'real held-out test (--real-validation)' }[c.validation.source] ?? c.validation.source} defects.`,
    `- Fine-tuning: ${c.finetune}.`,
    r.mode === 'smoke'
      ? `- Training budget: none (smoke: one epoch each); training took ${seconds(c.trainSeconds)}.`
      : fixedEpochs(r)
        ? `- Training: fixed epochs (\`--epochs ${fixedEpochs(r)}\`, not the budget)${c.patchcorePlannedSeconds !== undefined ? `, PatchCore planned ~${seconds(c.patchcorePlannedSeconds)}` : ''}; training took ${seconds(c.trainSeconds)}.`
        : `- Training budget ${seconds(c.budgetSeconds)}${c.patchcorePlannedSeconds !== undefined ? ` for SRAD, LPD and SFAD, PatchCore planned ~${seconds(c.patchcorePlannedSeconds)} on top` : ''}; training took ${seconds(c.trainSeconds)}.`,
    ...c.submodels.filter((s) => s.backboneSource).map((s) => `- ${NAMES[s.id] ?? s.id} backbone: \`${s.backbone}\` (${s.backboneSource}).`),
    '',
    '| submodel | preset | epochs | image AUROC | pixel AUROC | Pixel-AP | AUPRO | training | training images/s | inference (images/s) |',
    '|---|---|---|---|---|---|---|---|---|---|',
    ...c.submodels.map(submodelRow),
    routedRow(c, r.routedInfer.imagesPerSecond),
    '',
  ];
}

function fallbackText(r: BenchResults): string {
  const f = r.perfmap.fallback;
  if (f === undefined) return 'SFAD fallback';
  if (f === null) return 'fallback; none here: no classifier';
  const why = r.perfmap.fallbackRule === 'validation' ? `, the kind with the best mean validation objective over the categories: ${(r.perfmap.fallbackRanking ?? []).map((k) => `${k.kind} ${fmt(k.meanObjective)}`).join(', ')}` : ', fixed by --fallback';
  return `${f} fallback${why}`;
}

/** "srad=1,lpd=1,sfad=3" when --epochs replaced the budget's epochs, else ''. */
function fixedEpochs(r: BenchResults): string {
  const e = (r.settings as { epochsOverride?: Record<string, number> }).epochsOverride ?? {};
  return Object.entries(e).map(([k, v]) => `${k}=${v}`).join(',');
}

function patchcoreIn(r: BenchResults): boolean {
  return r.categories.some((c) => c.submodels.some((s) => s.kind === 'patchcore'));
}

/** The pre-classifier's body; runs before it was recorded trained the EfficientNet preset from random weights. */
function classifierBody(r: BenchResults): string {
  const b = r.classifier.backbone ?? 'random';
  return b === 'random' ? ' (EfficientNet, random init)' : ` on ${b} (pretrained, fine-tuned${r.classifier.lr !== undefined ? ` at lr ${r.classifier.lr}` : ''})`;
}

export function renderMarkdown(r: BenchResults): string {
  const smoke = r.mode === 'smoke';
  const testCounts = r.categories.map((c) => `${c.name} ${c.testNormals + c.testDefects} (${c.testNormals} normal + ${c.testDefects} defective)`).join(', ');
  const lines: string[] = [
    `# MADE-Net on real data: ${r.categories.map((c) => c.name).join(', ')}`,
    '',
    ...(smoke ? ['> **SMOKE RUN**: tiny presets, 1 epoch, 32 px. It proves that every step runs; its scores mean nothing.', ''] : []),
    `Generated by \`npm run bench:real\` (bench/real/run.ts); raw numbers in real.json.`,
    '',
    `- Date: ${r.date}; commit \`${r.commit}\`${r.dirty ? ' (working tree had uncommitted changes)' : ''}.`,
    `- Machine: ${r.machine.cpu}, ${r.machine.cores} cores, ${r.machine.memoryGb} GiB; Node ${r.machine.node}; TensorFlow.js backend ${r.machine.backend}, ${r.machine.threads} thread(s)${r.machine.simd ? ', SIMD' : ''}; inference engine tfjs.`,
    `- Presets: SRAD ${r.presets.srad}, LPD ${r.presets.lpd}, SFAD ${r.presets.sfad} at ${r.imageSize} px${smoke ? '' : " (the small presets' size)"}; pre-classifier ${r.presets.classifier}` +
      (r.classifier.artifact ? `${classifierBody(r)} at ${r.classifier.imageSize} px, ${r.classifier.epochs} epoch${r.classifier.epochs === 1 ? '' : 's'}, ${seconds(r.classifier.seconds)}, validation accuracy ${fmt(r.classifier.validationAccuracy)}.` : ' (one category: not trained).'),
    `- CPU budget: ${r.budgetMinutesPerCategory} min of training per category, split between the gradient-trained submodels as fixed epochs from measured seconds per epoch` +
      `${r.categories.some((c) => c.patchcorePlannedSeconds !== undefined) ? ', PatchCore (one feature pass, no epochs) on top' : ''}; ` +
      `evaluation, the classifier, the performance map and routed inference come on top. Whole run: ${seconds(r.totalSeconds)}.`,
    `- Seed ${r.seed}; performance map lambda ${r.perfmap.lambda} (lambda x image AUROC + (1 - lambda) x Pixel-AP on validation data, never the test split).`,
    '',
    '## Per category and submodel (test split)',
    '',
    'Each submodel alone is the `evaluate --model` path: a one-model performance map on validation data (for its threshold), ' +
      'infer on the category\'s test images, evaluate. "routed" is the whole MADE-Net: pre-classifier -> performance map -> chosen submodel ' +
      `(images under the classifier's 0.85 confidence go to the ${fallbackText(r)}). Inference images/s is the infer service's wall-clock rate ` +
      '(decode at native resolution, model load, scoring, map writes) on that test split. Training time includes fine-tuning where it ran.',
    '',
    ...r.categories.flatMap((c) => categorySection(c, r)),
    '## Routed summary',
    '',
    '| category | chosen | image AUROC | pixel AUROC | Pixel-AP | AUPRO | best single (test image AUROC) |',
    '|---|---|---|---|---|---|---|',
    ...r.categories.map((c) => {
      const best = bestSingle(c);
      return `| ${c.name} | ${c.routed.chosen} | ${metricCells(c.routed)} | ${best ? `${NAMES[best.id] ?? best.id} ${fmt(best.imageAuroc)}` : 'n/a'} |`;
    }),
    `| mean | | ${metricCells(r.routedMean)} | |`,
    '',
    `Routed inference: ${r.routedInfer.images} images in ${seconds(r.routedInfer.seconds)} (${fmt(r.routedInfer.imagesPerSecond, 1)} images/s); routes: ${routes(r.routedInfer.routes)}.`,
    '',
    ...renderTargets(r),
    ...renderRankings(r.rankings ?? []),
    '## Published reference points (not comparable like-for-like)',
    '',
    '| method | image AUROC (%) | pixel AUROC (%) | setting |',
    '|---|---|---|---|',
    ...PUBLISHED_REFERENCES.map((p) => `| ${p.method} | ${p.imageAuroc ?? 'n/a'} | ${p.pixelAuroc ?? 'n/a'} | MVTec AD mean, 15 categories, full test sets, GPU, ImageNet-pretrained backbone |`),
    `| madenet, this run (routed mean) | ${pct(r.routedMean.imageAuroc)} | ${pct(r.routedMean.pixelAuroc)} | ${r.categories.length} ${r.categories.length === 1 ? 'category' : 'categories'}, ${r.categories.some((c) => c.testNormals + c.testDefects < 50) ? 'small test sets' : 'test sets as above'}, CPU, ${patchcoreIn(r) ? 'PatchCore on npm-shipped networks (nsfwjs), no imported weights' : 'no ImageNet weights'} |`,
    '',
    'These numbers are context, not a comparison:',
    '',
    '- **No ImageNet weights**: offline there are none to import, so SFAD and LPD start from random backbones (SFAD optionally from the LPD ' +
      'backbone) and SRAD from a random HRNet; every published method above relies on ImageNet-pretrained features.' +
      (patchcoreIn(r) ? ' PatchCore uses networks that the nsfwjs npm package ships (MobileNetV2 and InceptionV3, ImageNet-initialised, fine-tuned on a 5-class task), not a WideResNet-50.' : ''),
    `- **CPU budget**: ${r.budgetMinutesPerCategory} min of training per category on ${r.machine.cores} CPU cores (TensorFlow.js ${r.machine.backend}), against hours on a GPU (DRAEM trains 700 epochs, SimpleNet 160, CutPaste 256).`,
    smoke
      ? `- **Tiny presets at ${r.imageSize} px, one epoch** (smoke run), not the papers' 256-288 px and WideResNet-50 / HRNet-W32.`
      : `- **Small presets at ${r.imageSize} px** (HRNet-W18-small, ResNet-18), not the papers' 256-288 px and WideResNet-50 / HRNet-W32.`,
    r.categories.some((c) => c.testNormals + c.testDefects < 50)
      ? `- **Small test sets**: ${testCounts}. With few images an image AUROC rests on few normal/defective pairs (2 normals x 8 defects = 16 pairs: one image moves it by 1/16 or more).`
      : `- **Test sets**: ${testCounts}; the published means are over 15 categories' full test sets.`,
    '- **Different categories**: the published means are over all 15 MVTec AD categories; MPDD categories are not part of them.',
    '',
    '## How this was run',
    '',
    '```sh',
    ...r.commands,
    '```',
    '',
    `Data root: \`${r.dataRoot}\`; artifacts, predictions and reports: \`${r.out}\` (outside the repository).`,
    '',
    'Epochs per submodel come from the budget: its share (SRAD 45%, LPD 35%, SFAD 20%; with `--sfad-random` 42/33/15/10), ' +
      'divided by the measured seconds per epoch (setup + seconds per train image per epoch x train images, in `bench/real/plan.ts`), capped at the ' +
      'presets\' epoch counts; SRAD also gets what the others leave. The trainers cannot stop on a clock and still save an artifact, so the epochs are fixed up front.',
    '',
    ...(r.warnings.length > 0 ? ['Warnings:', '', ...r.warnings.map((w) => `- ${w}`), ''] : []),
  ];
  return `${lines.join('\n')}\n`;
}
