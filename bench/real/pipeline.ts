// The real-data benchmark end to end: categories -> one manifest -> per category the planned submodel runs and
// each one alone on its test split -> one pre-classifier -> performance map -> routed infer -> evaluate.
// Every step calls the service its command uses; artifacts go under the run folder, never into the repository.
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { loadDataset, samplesOf } from '../../src/pipeline/io/dataset.js';
import { initRuntime } from '../../src/pipeline/runtime/backend.js';
import { buildPerfmap } from '../../src/pipeline/services/build-perfmap.js';
import { evaluate } from '../../src/pipeline/services/evaluate.js';
import { infer } from '../../src/pipeline/services/infer.js';
import { DEFAULT_FALLBACK } from '../../src/pipeline/infer/route.js';
import { trainClassifier } from '../../src/pipeline/services/train-classifier.js';
import type { FoundCategory } from './discover.js';
import { evaluateSubmodel, metricsOf, readAllPredictions } from './evaluate-runs.js';
import { gitState, machineInfo } from './machine.js';
import type { CategoryCounts } from './manifest.js';
import { PROJECT_ROOT, type BenchOptions } from './options.js';
import { PATCHCORE_COST, patchcorePlannedSeconds, planCategory, SMALL_COSTS, SMALL_SETTINGS, SMOKE_SETTINGS, trainImagesAfterHoldOut, type RunCost, type RunPlan } from './plan.js';
import { routingByCategory } from './routing.js';
import { BENCH_REAL_SCHEMA, type BenchResults, type CategoryResult, type Metrics, type SubmodelRow, type SubmodelRunId } from './results.js';
import { trainCategory, trainPatchcoreRun, type TrainedRun } from './train-category.js';
import { rankCategories } from './ranking.js';

const LAMBDA = 0.5;
const FINETUNE_EPOCHS = 2;
const ZERO_COSTS: Record<SubmodelRunId, RunCost> = {
  srad: { setupSeconds: 0, secondsPerImageEpoch: 0 },
  lpd: { setupSeconds: 0, secondsPerImageEpoch: 0 },
  'sfad-lpd': { setupSeconds: 0, secondsPerImageEpoch: 0 },
  'sfad-random': { setupSeconds: 0, secondsPerImageEpoch: 0 },
};

export interface PipelineInput {
  opts: BenchOptions;
  /** The run folder (a fresh <out>/<timestamp>). */
  run: string;
  manifest: string;
  categories: FoundCategory[];
  counts: Record<string, CategoryCounts>;
  command: string;
  log: (line: string) => void;
  /** A manifest of held-out real test images (--real-validation): a second perfmap is built on it and routes. */
  validationData?: string;
  /**
   * --reroute: the results of an earlier run whose artifacts (submodels, their test rows, the classifier) are
   * reused as they are; only the performance map, routed inference and evaluation run again.
   */
  reuse?: BenchResults;
}

export async function runBenchPipeline(input: PipelineInput): Promise<BenchResults> {
  const started = performance.now();
  const { opts, run, manifest, categories, counts, log } = input;
  const rt = { backend: opts.backend, threads: opts.threads };
  const runtime = await initRuntime({ backend: opts.backend, threads: opts.threads });
  const artifacts = join(run, 'artifacts');
  const imageSize = opts.smoke ? 32 : 128;
  const names = categories.map((c) => c.name);
  const warnings: string[] = [];

  /** train-patchcore on one category and its test rows (evaluate --model path), as a SubmodelRow. */
  const patchcoreRow = async (category: string, patchcorePlanned: number): Promise<SubmodelRow> => {
    const pc = await trainPatchcoreRun({ data: manifest, category, out: artifacts, seed: opts.seed, textures: opts.textures, onStep: log, ...(opts.smoke ? { imageSize: 64 } : {}), ...rt });
    log(`evaluate patchcore ${category} on its test split`);
    const ev = await evaluateSubmodel({ model: pc.artifact, data: manifest, category, out: join(run, 'evaluate', category, 'patchcore'), ...rt });
    return {
      id: 'patchcore',
      kind: 'patchcore',
      preset: 'defaults',
      imageSize: pc.imageSize,
      backbone: pc.backbone,
      backboneSource: `${pc.backboneSource}; ${pc.layers.join('+')}; bank ${pc.bankRows} of ${pc.patchRows} patches`,
      epochs: 0,
      bestEpoch: null,
      plannedSeconds: patchcorePlanned,
      trainSeconds: pc.seconds,
      trainCpuSeconds: pc.cpuSeconds,
      epochSeconds: [],
      trainImages: pc.trainImages,
      validationObjective: pc.validationObjective,
      trainImagesPerSecond: pc.imagesPerSecond,
      inferImagesPerSecond: ev.imagesPerSecond,
      imageAuroc: ev.imageAuroc,
      pixelAuroc: ev.pixelAuroc,
      pixelAp: ev.pixelAp,
      aupro: ev.aupro,
      artifact: pc.artifact,
    };
  };

  const perCategory: { found: FoundCategory; trained: TrainedRun[]; finetune: string; budgetSeconds: number; patchcorePlanned: number | null; rows: SubmodelRow[] }[] = [];
  if (input.reuse) {
    for (const found of categories) {
      const c = input.reuse.categories.find((x) => x.name === found.name) as CategoryResult;
      const rows = [...c.submodels];
      let patchcorePlanned = c.patchcorePlannedSeconds ?? null;
      // A reused run from before PatchCore joined gets it trained now, on the same manifest and hold-out.
      if (!opts.skipPatchcore && !rows.some((r) => r.kind === 'patchcore')) {
        patchcorePlanned = opts.smoke ? 0 : patchcorePlannedSeconds(c.trainNormals);
        rows.push(await patchcoreRow(found.name, patchcorePlanned));
        warnings.push(`${found.name}: PatchCore was trained in this run (the reused run had none); its other rows are the reused run's.`);
      }
      perCategory.push({ found, trained: [], finetune: c.finetune, budgetSeconds: c.budgetSeconds, patchcorePlanned, rows });
    }
    warnings.push(`Routing re-run (--reroute) on the trained artifacts, per-submodel test rows and classifier of ${input.reuse.out} (${input.reuse.date}, commit ${input.reuse.commit}); those were not retrained.`);
  }
  for (const found of input.reuse ? [] : categories) {
    const c = counts[found.name] as CategoryCounts;
    const budgetSeconds = opts.budgetMinutes * 60;
    const plans = categoryPlan(opts, c);
    const patchcorePlanned = opts.skipPatchcore ? null : opts.smoke ? 0 : patchcorePlannedSeconds(c.trainNormals);
    log(
      `${found.name}: plan ${plans.map((p) => `${p.id} ${p.epochs} epochs ~${Math.round(p.plannedSeconds)} s`).join(', ')} (budget ${budgetSeconds} s)` +
        (patchcorePlanned === null ? '' : `, then patchcore ~${Math.round(patchcorePlanned)} s on top`),
    );
    const trained = await trainCategory({
      data: manifest,
      category: found.name,
      out: artifacts,
      seed: opts.seed,
      ...(opts.smoke ? { imageSize } : {}),
      plans,
      trainDefects: c.trainDefects,
      textures: opts.textures,
      finetuneEpochs: opts.smoke ? 1 : FINETUNE_EPOCHS,
      onStep: log,
      ...rt,
    });
    const rows: SubmodelRow[] = [];
    for (const t of trained.runs) {
      log(`evaluate ${t.plan.id} ${found.name} on its test split`);
      const ev = await evaluateSubmodel({ model: t.artifact, data: manifest, category: found.name, out: join(run, 'evaluate', found.name, t.plan.id), ...rt });
      rows.push({
        id: t.plan.id,
        kind: t.plan.kind,
        preset: t.plan.preset,
        imageSize: t.imageSize,
        backbone: t.plan.id === 'sfad-lpd' ? 'lpd' : t.backbone,
        epochs: t.epochs,
        bestEpoch: t.bestEpoch,
        plannedSeconds: t.plan.plannedSeconds,
        trainSeconds: t.seconds,
        trainCpuSeconds: t.cpuSeconds,
        epochSeconds: t.epochSeconds,
        trainImages: t.trainImages,
        validationObjective: t.validationObjective,
        trainImagesPerSecond: t.seconds > 0 ? (t.trainImages * t.epochs) / t.seconds : 0,
        inferImagesPerSecond: ev.imagesPerSecond,
        imageAuroc: ev.imageAuroc,
        pixelAuroc: ev.pixelAuroc,
        pixelAp: ev.pixelAp,
        aupro: ev.aupro,
        artifact: t.artifact,
      });
    }
    const overrun = rows.reduce((a, r) => a + r.trainSeconds, 0) - budgetSeconds;
    if (!opts.smoke && overrun > 0.15 * budgetSeconds) {
      warnings.push(`${found.name}: training took ${Math.round(overrun)} s more than its ${Math.round(budgetSeconds)} s budget (the machine was slower than the calibration).`);
    }
    if (patchcorePlanned !== null) rows.push(await patchcoreRow(found.name, patchcorePlanned));
    // The limit is on CPU seconds where every row measured them (the report's check does the same): on a shared
    // machine the wall time also counts other jobs' turns.
    const cpuKnown = rows.every((r) => r.trainCpuSeconds !== undefined);
    const total = rows.reduce((a, r) => a + (cpuKnown ? (r.trainCpuSeconds as number) : r.trainSeconds), 0);
    if (!opts.smoke && total > opts.limitMinutes * 60) {
      warnings.push(`${found.name}: training took ${Math.round(total)} s ${cpuKnown ? 'of CPU' : 'of wall time'} in all, ${Math.round(total - opts.limitMinutes * 60)} s over the ${opts.limitMinutes} min limit.`);
    }
    perCategory.push({ found, trained: trained.runs, finetune: trained.finetune, budgetSeconds, patchcorePlanned, rows });
  }

  let classifier: BenchResults['classifier'] = input.reuse?.classifier ?? { preset: 'none', imageSize: 0, epochs: 0, seconds: 0, validationAccuracy: null, artifact: '' };
  if (input.reuse) {
    // Trained in the reused run (or not, with one category).
  } else if (names.length >= 2) {
    log(`train-classifier ${opts.classifierPreset} on ${opts.classifierBackbone} at ${opts.classifierImageSize} px, ${opts.classifierEpochs} epochs over ${names.join(', ')}`);
    const cls = await trainClassifier({
      data: manifest,
      out: artifacts,
      categories: names,
      preset: opts.classifierPreset,
      imageSize: opts.classifierImageSize,
      epochs: opts.classifierEpochs,
      batchSize: 16,
      lr: opts.classifierLr,
      backbone: opts.classifierBackbone,
      seed: opts.seed,
      checkpointEvery: 0,
      ...rt,
    });
    classifier = {
      preset: opts.classifierPreset,
      imageSize: cls.imageSize,
      epochs: opts.classifierEpochs,
      seconds: cls.seconds,
      validationAccuracy: cls.metrics.accuracy ?? null,
      artifact: cls.artifact.dir,
      backbone: opts.classifierBackbone,
      lr: opts.classifierLr,
    };
  } else {
    warnings.push('One category only: no pre-classifier (it needs two); routed inference is told each image\'s category.');
  }

  log('build-perfmap (validation: held-out train normals + their synthetic defects where there are no train defects)');
  const perfmapStart = performance.now();
  // One SFAD per category in the map (build-perfmap takes one artifact per kind): the LPD-seeded one, as the demo.
  const mapModels = perCategory.flatMap((p) => p.rows.filter((r) => r.id !== 'sfad-random').map((r) => r.artifact));
  // The same map settings for the synthetic-validation map and the --real-validation one; only the validation differs.
  const mapOn = (validationData?: string) =>
    buildPerfmap({
      data: manifest,
      ...(validationData ? { validationData } : {}),
      models: mapModels,
      ...(classifier.artifact ? { classifier: classifier.artifact } : {}),
      lambda: LAMBDA,
      seed: opts.seed,
      out: artifacts,
      categories: names,
      ...(opts.textures ? { textures: opts.textures } : {}),
      ...rt,
    });
  const perfmap = await mapOn();
  warnings.push(...perfmap.warnings);
  const perfmapSeconds = (performance.now() - perfmapStart) / 1000;
  const testAuroc = (category: string, kind: string): number | null =>
    perCategory.find((p) => p.found.name === category)?.rows.find((r) => r.kind === kind && r.id !== 'sfad-random')?.imageAuroc ?? null;
  const rankings: NonNullable<BenchResults['rankings']> = [{ label: 'synthetic', rankings: rankCategories(perfmap.perfmap, testAuroc) }];
  let routingMap = perfmap;
  if (input.validationData) {
    log('build-perfmap on the held-out real test images (--real-validation)');
    routingMap = await mapOn(input.validationData);
    warnings.push(...routingMap.warnings.map((w) => `real-validation map: ${w}`));
    rankings.push({ label: 'real (held-out test images)', rankings: rankCategories(routingMap.perfmap, testAuroc) });
  }

  log('infer (routed) on every test image');
  const dataset = await loadDataset(manifest, { categories: names });
  const tests = samplesOf(dataset, { split: 'test' });
  const lines = tests.map((s) => (classifier.artifact ? `${s.path}\n` : `${s.path}\t${s.category}\n`));
  const predictions = join(run, 'routed', 'predictions');
  // The low-confidence fallback: the kind validation ranks best over all categories (--fallback validation, the
  // default), or a fixed kind; only images the classifier is unsure about go to it.
  const fallback = opts.fallback === 'validation' ? (routingMap.perfmap.fallback?.kind ?? DEFAULT_FALLBACK) : opts.fallback;
  if (classifier.artifact) log(`fallback for low-confidence images: ${fallback}${opts.fallback === 'validation' ? ' (best mean validation objective)' : ''}`);
  const routed = await infer({ perfmap: routingMap.artifact.dir, input: '-', stdin: Readable.from(lines), out: predictions, saveMaps: true, fallback, ...rt });
  log('evaluate (routed)');
  const evaluation = await evaluate({ predictions, data: manifest, out: join(run, 'routed', 'report') });
  warnings.push(...evaluation.metrics.warnings);
  const routing = routingByCategory(await readAllPredictions(predictions), tests);

  const categoryResults: CategoryResult[] = perCategory.map(({ found, trained, finetune, budgetSeconds, patchcorePlanned, rows }) => {
    const c = counts[found.name] as CategoryCounts;
    const entry = routingMap.perfmap.categories[found.name];
    const route = routing[found.name] ?? { scoredBy: {}, misrouted: 0 };
    return {
      name: found.name,
      dir: found.rel,
      trainNormals: c.trainNormals,
      trainDefects: c.trainDefects,
      testNormals: c.testNormals,
      testDefects: c.testDefects,
      resolution: c.resolution,
      validation: entry ? { ...entry.validation } : (trained[0]?.validation ?? { source: 'unknown', normals: 0, defects: 0 }),
      finetune,
      budgetSeconds,
      ...(patchcorePlanned !== null ? { patchcorePlannedSeconds: patchcorePlanned } : {}),
      trainSeconds: rows.reduce((a, r) => a + r.trainSeconds, 0),
      submodels: rows,
      routed: { chosen: entry?.chosen ?? 'n/a', margin: entry?.margin ?? null, ...metricsOf(evaluation, found.name), ...route },
    };
  });
  const git = gitState(PROJECT_ROOT);
  return {
    schema: BENCH_REAL_SCHEMA,
    mode: opts.smoke ? 'smoke' : 'full',
    date: new Date().toISOString(),
    commit: git.commit,
    dirty: git.dirty,
    machine: { ...machineInfo(), backend: runtime.backend, threads: runtime.threads, simd: runtime.simd },
    dataRoot: opts.data,
    out: run,
    seed: opts.seed,
    imageSize,
    budgetMinutesPerCategory: opts.budgetMinutes,
    trainingLimitMinutes: opts.limitMinutes,
    presets: {
      srad: opts.smoke ? 'tiny' : 'small',
      lpd: opts.smoke ? 'tiny' : 'small',
      sfad: opts.smoke ? 'tiny' : 'small',
      classifier: classifier.preset,
    },
    settings: {
      lambda: LAMBDA,
      finetuneEpochs: opts.smoke ? 1 : FINETUNE_EPOCHS,
      sfadRandom: opts.sfadRandom,
      epochsOverride: opts.epochs,
      runs: opts.smoke ? SMOKE_SETTINGS : SMALL_SETTINGS,
      costs: opts.smoke ? null : SMALL_COSTS,
      patchcore: opts.skipPatchcore ? 'skipped (--skip-patchcore)' : { defaults: 'train-patchcore', imageSize: opts.smoke ? 64 : 'default', cost: PATCHCORE_COST, featureCache: 'none' },
      textures: opts.textures ?? 'procedural',
      engine: 'tfjs (no ONNX export)',
    },
    classifier,
    perfmap: { artifact: routingMap.artifact.dir, lambda: LAMBDA, seconds: perfmapSeconds, fallback: classifier.artifact ? fallback : null, fallbackRule: opts.fallback, fallbackRanking: routingMap.perfmap.fallback?.ranking ?? [] },
    rankings,
    routedInfer: { images: routed.images.predicted, imagesPerSecond: routed.timing.imagesPerSecond, seconds: routed.timing.wallSeconds, routes: { ...routed.routes } },
    categories: categoryResults,
    routedMean: meanMetrics(categoryResults.map((c) => c.routed)),
    commands: [input.command],
    warnings,
    totalSeconds: (performance.now() - started) / 1000,
  };
}

/** The epochs of each submodel run of one category, from the budget (or --epochs, or --smoke's one epoch). */
export function categoryPlan(opts: BenchOptions, c: Pick<CategoryCounts, 'trainNormals'>): RunPlan[] {
  return planCategory({
    budgetSeconds: opts.budgetMinutes * 60,
    trainImages: trainImagesAfterHoldOut(c.trainNormals),
    sfadRandom: opts.sfadRandom,
    settings: opts.smoke ? SMOKE_SETTINGS : SMALL_SETTINGS,
    costs: opts.smoke ? ZERO_COSTS : SMALL_COSTS,
    epochs: opts.smoke ? { srad: 1, lpd: 1, sfad: 1, ...opts.epochs } : opts.epochs,
  });
}

export function meanMetrics(rows: readonly Metrics[]): Metrics {
  const mean = (k: keyof Metrics): number | null => {
    const v = rows.map((r) => r[k]).filter((x): x is number => x !== null);
    return v.length > 0 ? v.reduce((a, b) => a + b, 0) / v.length : null;
  };
  return { imageAuroc: mean('imageAuroc'), pixelAuroc: mean('pixelAuroc'), pixelAp: mean('pixelAp'), aupro: mean('aupro') };
}

export async function ensureDir(dir: string): Promise<string> {
  await mkdir(dir, { recursive: true });
  return dir;
}
