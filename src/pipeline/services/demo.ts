// `madenet demo`: the main job end to end on the built-in demo data, each step through the same service its
// own command uses, everything (data, artifacts, perfmap, predictions, report) under one output folder.
import { readdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { isLockEntry } from '../artifacts/lock.js';
import { lockOutputFolder } from '../artifacts/output-folder.js';
import { Readable } from 'node:stream';
import { MadenetError } from '../core/errors.js';
import { resolveCategories } from '../demo-data/plan.js';
import type { SubmodelKind } from '../detectors/detector.js';
import { loadDataset, samplesOf } from '../io/dataset.js';
import type { PerfMap } from '../perfmap/schema.js';
import type { BackendRequest } from '../runtime/backend.js';
import { buildPerfmap } from './build-perfmap.js';
import { inspectDataset } from './dataset-inspect.js';
import { DEMO_PLANS, type DemoPlan, type DemoPlanName } from './demo-plan.js';
import { evaluate, type EvaluateResult } from './evaluate.js';
import { finetuneLost } from './finetune.js';
import { DemoLanes, laneChildScript, LANE_SERVICES, planLanes, type LaneOptions, type LaneResult, type LaneService } from './demo-lanes.js';
import { initRuntime } from '../runtime/backend.js';
import { cpuSecondsSince } from '../runtime/cpu-time.js';
import { infer } from './infer.js';
import { makeDemo } from './make-demo.js';
import { synth } from './synth.js';
import type { TrainProgress } from '../train/loop.js';

export interface DemoOptions {
  out: string;
  seed: number;
  /** Demo categories to run (default: the plan's). */
  categories?: string[];
  plan?: DemoPlanName;
  backend?: BackendRequest;
  threads?: number;
  /** Each step as it starts: its name, 1-based number and the number of steps in this run. */
  onStep?: (step: string, index: number, total: number) => void;
  /** Optimiser steps of the training and fine-tuning steps. */
  onTrainProgress?: (p: TrainProgress) => void;
  /** Images scored by the inference step, of `total`. */
  onInferProgress?: (done: number, total: number) => void;
  /** Lane processes for the training steps (default: one per wasm thread, demo-lanes.ts); 1 keeps them in this process. */
  lanes?: number;
}

export interface DemoStepTiming {
  step: string;
  /** Wall seconds. */
  seconds: number;
  /** CPU seconds (user + system) of this process over the step: on a shared machine, the cost that wall time hides. */
  cpuSeconds: number;
  /** The lane process that ran it (1-based; absent: this process). */
  lane?: number;
}

export interface DemoCategoryRow {
  category: string;
  chosen: SubmodelKind;
  /** The chosen submodel's validation objective margin over the runner-up (null with one candidate). */
  margin: number | null;
  imageAuroc: number | null;
  pixelAuroc: number | null;
  pixelAp: number | null;
  aupro: number | null;
  /** Validation Pixel-AP of each fine-tuned submodel before -> after fine-tuning. */
  finetune: Partial<Record<SubmodelKind, { before: number | null; after: number | null }>>;
}

export interface DemoResult {
  out: string;
  data: string;
  plan: DemoPlanName;
  categories: string[];
  dataset: { images: number; masks: number; size: number; seed: number; problems: number };
  synthPreview: { kind: string; contactSheet: string }[];
  artifacts: { submodels: string[]; classifier: string; perfmap: string };
  classifierAccuracy: number | null;
  /** Held-out train defects whose classifier confidence is under the routing threshold (they go to the fallback), before -> after its fine-tuning. */
  classifierFinetune: { defectsBelowThreshold: { before: number | null; after: number | null } } | null;
  predictions: string;
  inferImagesPerSecond: number;
  report: string;
  table: DemoCategoryRow[];
  meanImageAuroc: number | null;
  meanPixelAuroc: number | null;
  meanPixelAp: number | null;
  meanAupro: number | null;
  steps: DemoStepTiming[];
  /** Wall seconds of the whole run. */
  seconds: number;
  /** CPU seconds (user + system) of the whole run, every thread of this process and of its lane processes. */
  cpuSeconds: number;
  /** Processes the training and fine-tuning steps ran in side by side (1: all in this one; demo-lanes.ts). */
  lanes: number;
}

export async function runDemo(opts: DemoOptions): Promise<DemoResult> {
  // Every check that can fail is made before the first step: a run must not train for half an hour and then stop.
  const categories = checkDemoCategories(opts.categories ?? DEMO_PLANS[opts.plan ?? 'quick'].categories);
  const out = resolve(opts.out);
  // One demo per folder: the folder and its data stay locked for the whole run, so a second demo (or a make-demo
  // into data/) is refused instead of regenerating the images this run trains on.
  const outLock = await lockOutputFolder(out, 'demo');
  try {
    await refusePreviousRun(out);
    const dataLock = await lockOutputFolder(join(out, 'data'), 'demo');
    try {
      return await demoSteps({ ...opts, categories });
    } finally {
      await dataLock.release();
    }
  } finally {
    await outLock.release();
  }
}

async function demoSteps(opts: DemoOptions): Promise<DemoResult> {
  const started = performance.now();
  const cpuStarted = process.cpuUsage();
  const planName = opts.plan ?? 'quick';
  const plan: DemoPlan = DEMO_PLANS[planName];
  const categories = opts.categories ?? plan.categories;
  const run = demoRun(opts, plan, categories);
  const { out, data } = run;

  const { made, inspected } = await makeData(run);
  const previews = await previewSynth(run);
  const { finalModels, finetuned, classifier, tunedClassifier, router, lanes, laneCpuSeconds } = await trainAll(run);
  const perfmap = await buildRouting(run, finalModels, router.artifact.dir);
  const { predictions, inferred, evaluation } = await inferAndEvaluate(run, perfmap.artifact.dir);

  const mean = evaluation.metrics.mean.values;
  return {
    out,
    data,
    plan: planName,
    categories,
    dataset: { images: made.images, masks: made.masks, size: made.size, seed: made.seed, problems: inspected.problems.length },
    synthPreview: previews,
    artifacts: { submodels: finalModels, classifier: router.artifact.dir, perfmap: perfmap.artifact.dir },
    classifierAccuracy: (tunedClassifier ? tunedClassifier.metrics.after.accuracy : classifier.metrics.accuracy) ?? null,
    classifierFinetune: tunedClassifier
      ? { defectsBelowThreshold: { before: tunedClassifier.metrics.before.defects.belowThreshold, after: tunedClassifier.metrics.after.defects.belowThreshold } }
      : null,
    predictions,
    inferImagesPerSecond: inferred.timing.imagesPerSecond,
    report: evaluation.files.html,
    table: demoTable(categories, evaluation, perfmap.perfmap, finetuned),
    meanImageAuroc: mean.imageAuroc ?? null,
    meanPixelAuroc: mean.pixelAuroc ?? null,
    meanPixelAp: mean.pixelAp ?? null,
    meanAupro: mean.aupro ?? null,
    steps: run.steps,
    lanes,
    seconds: (performance.now() - started) / 1000,
    cpuSeconds: cpuSecondsSince(cpuStarted) + laneCpuSeconds(),
  };
}

/** What every demo step shares: the plan, the folders, the runtime flags and the step timer. */
interface DemoRun {
  opts: DemoOptions;
  plan: DemoPlan;
  categories: string[];
  out: string;
  data: string;
  artifacts: string;
  seed: number;
  rt: { backend: BackendRequest | undefined; threads: number | undefined };
  train: DemoRun['rt'] & { onProgress?: (p: TrainProgress) => void };
  steps: DemoStepTiming[];
  /** Runs one step, announcing it (n of the plan's total) and recording its time. */
  timed: <T>(step: string, fn: () => Promise<T>) => Promise<T>;
  /** Announces a step (n of the plan's total) that starts now; `current` is the last one announced. */
  announce: (step: string) => void;
  current: string | null;
}

function demoRun(opts: DemoOptions, plan: DemoPlan, categories: string[]): DemoRun {
  const steps: DemoStepTiming[] = [];
  const totalSteps = demoStepCount(plan, categories.length);
  let announced = 0;
  const announce = (step: string): void => {
    run.current = step;
    opts.onStep?.(step, ++announced, totalSteps);
  };
  const timed = async <T>(step: string, fn: () => Promise<T>): Promise<T> => {
    announce(step);
    const t0 = performance.now();
    const cpu0 = process.cpuUsage();
    const value = await fn();
    steps.push({ step, seconds: (performance.now() - t0) / 1000, cpuSeconds: cpuSecondsSince(cpu0) });
    return value;
  };
  const rt = { backend: opts.backend, threads: opts.threads };
  const train = { ...rt, ...(opts.onTrainProgress ? { onProgress: opts.onTrainProgress } : {}) };
  const out = resolve(opts.out);
  const run: DemoRun = { opts, plan, categories, out, data: join(out, 'data'), artifacts: join(out, 'artifacts'), seed: opts.seed, rt, train, steps, timed, announce, current: null };
  return run;
}

async function makeData({ timed, plan, data, seed, categories }: DemoRun) {
  const made = await timed('make-demo', () => makeDemo({ out: data, seed, size: plan.imageSize, categories, force: true, lockHeld: true, ...plan.data }));
  const inspected = await timed('dataset inspect', () => inspectDataset({ root: data }));
  const errors = inspected.problems.filter((p) => p.severity === 'error');
  if (errors.length > 0) throw new MadenetError('E_DATASET', `The generated demo data has ${errors.length} problems, e.g. ${errors[0]?.message}.`);
  return { made, inspected };
}

async function previewSynth({ timed, plan, out, data, seed, categories }: DemoRun): Promise<{ kind: string; contactSheet: string }[]> {
  const previews: { kind: string; contactSheet: string }[] = [];
  for (const kind of ['mixed', 'cutpaste'] as const) {
    const category = categories[0] as string;
    const r = await timed(`synth ${kind} ${category}`, () =>
      synth({ data, category, out: join(out, 'synth', `${category}-${kind}`), count: 8, kind, seed, imageSize: plan.imageSize, force: true }),
    );
    previews.push({ kind, contactSheet: r.files.contactSheet });
  }
  return previews;
}

/** Runs one training or fine-tuning service as a demo step: in a lane process when there are lanes, else here. */
type StepRunner = <K extends LaneService>(step: string, service: K, options: LaneOptions<K>) => Promise<LaneResult<K>>;

function stepRunner(run: DemoRun, lanes: DemoLanes | null): StepRunner {
  if (!lanes) {
    return <K extends LaneService>(step: string, service: K, options: LaneOptions<K>) =>
      run.timed(step, () => (LANE_SERVICES[service] as (o: LaneOptions<K>) => Promise<LaneResult<K>>)(options));
  }
  return async <K extends LaneService>(step: string, service: K, options: LaneOptions<K>): Promise<LaneResult<K>> => {
    const onProgress = run.train.onProgress;
    const done = await lanes.run(service, options, {
      onStart: () => run.announce(step),
      // Lanes train side by side: only the step announced last drives the progress bar.
      ...(onProgress ? { onProgress: (p: TrainProgress) => run.current === step && onProgress(p) } : {}),
    });
    run.steps.push({ step, seconds: done.seconds, cpuSeconds: done.cpuSeconds, lane: done.lane });
    return done.result;
  };
}

/**
 * The submodels of every category and the pre-classifier. In-process, one after the other in the old order; with
 * lanes, the categories and the pre-classifier side by side (each one's own steps still in order: SFAD starts from
 * LPD's backbone, a fine-tune from its parent). Every step is seeded on its own, so the order changes no result.
 */
async function trainAll(run: DemoRun) {
  const { categories } = run;
  const runtime = await initRuntime({ backend: run.rt.backend ?? 'auto', threads: run.rt.threads ?? 0 });
  const script = laneChildScript();
  const lanePlan = planLanes(runtime, categories.length + 1, script ? run.opts.lanes : 1);
  const lanes = lanePlan.lanes > 1 && script ? new DemoLanes(script, lanePlan.lanes, { backend: runtime.backend as BackendRequest, threads: lanePlan.threadsPerLane }) : null;
  try {
    const exec = stepRunner(run, lanes);
    const perCategory: Awaited<ReturnType<typeof trainCategory>>[] = [];
    let routing: Awaited<ReturnType<typeof trainRouter>>;
    if (lanes) {
      // The pre-classifier first: it is the longest chain after LPD, so it should not be the one left at the end.
      const [r, ...cats] = await Promise.all([trainRouter(run, exec), ...categories.map((c) => trainCategory(run, c, exec))]);
      routing = r;
      perCategory.push(...cats);
    } else {
      for (const category of categories) perCategory.push(await trainCategory(run, category, exec));
      routing = await trainRouter(run, exec);
    }
    const finalModels = perCategory.flatMap((c) => c.models);
    const finetuned = Object.fromEntries(categories.map((c, i) => [c, perCategory[i]?.finetuned ?? {}]));
    return { finalModels, finetuned, ...routing, lanes: lanePlan.lanes, laneCpuSeconds: () => lanes?.cpuSeconds() ?? 0 };
  } finally {
    await lanes?.close();
  }
}

/** Trains and fine-tunes the three submodels of one category; keeps a fine-tune only where it beat its parent. */
async function trainCategory({ plan, data, artifacts, seed, train }: DemoRun, category: string, exec: StepRunner) {
  const models: string[] = [];
  const finetuned: DemoCategoryRow['finetune'] = {};
  const common = { data, category, out: artifacts, seed, imageSize: plan.imageSize, checkpointEvery: 0, ...train };
  const srad = await exec(`train-srad ${category}`, 'trainSrad', { ...common, ...plan.srad });
  const lpd = await exec(`train-lpd ${category}`, 'trainLpd', { ...common, ...plan.lpd });
  const backbone = plan.sfadFromLpd ? lpd.artifact.dir : 'random';
  const sfad = await exec(`train-sfad ${category}`, 'trainSfad', { ...common, ...plan.sfad, backbone });
  for (const [kind, parent] of [['srad', srad], ['sfad', sfad], ['lpd', lpd]] as const) {
    const ft = await exec(`finetune ${kind} ${category}`, 'finetune', { model: parent.artifact.dir, data, seed, checkpointEvery: 0, ...plan.finetune[kind], ...train });
    finetuned[kind] = { before: ft.metrics.before.pixelAp, after: ft.metrics.after.pixelAp };
    // Chosen on validation, like everything the perfmap sees: a fine-tune that lost to its parent is not used.
    models.push(finetuneLost(ft) ? parent.artifact.dir : ft.artifact.dir);
  }
  return { models, finetuned };
}

/** The pre-classifier, fine-tuned where the plan says so. */
async function trainRouter({ plan, data, artifacts, seed, categories, train }: DemoRun, exec: StepRunner) {
  const classifier = await exec('train-classifier', 'trainClassifier', { data, out: artifacts, categories, seed, checkpointEvery: 0, imageSize: plan.imageSize, ...plan.classifier, ...train });
  const tunedClassifier = plan.classifierFinetune
    ? await exec('finetune classifier', 'finetuneClassifier', { model: classifier.artifact.dir, data, seed, checkpointEvery: 0, ...plan.classifierFinetune, ...train })
    : null;
  return { classifier, tunedClassifier, router: tunedClassifier ?? classifier };
}

/** The performance map over the final submodels, routed by the (fine-tuned) pre-classifier. */
async function buildRouting({ timed, data, artifacts, seed, categories, rt }: DemoRun, finalModels: string[], classifierDir: string) {
  return timed('build-perfmap', () => buildPerfmap({ data, models: finalModels, classifier: classifierDir, lambda: 0.5, seed, out: artifacts, categories, ...rt }));
}

async function inferAndEvaluate({ timed, opts, out, data, categories, rt }: DemoRun, perfmapDir: string) {
  const dataset = await loadDataset(data, { categories });
  const testLines = samplesOf(dataset, { split: 'test' }).map((s) => `${s.path}\n`);
  const predictions = join(out, 'predictions');
  const inferred = await timed('infer', () =>
    // The listed paths are absolute; cwd only roots the output layout (maps/<category>/test/...) at the data folder.
    infer({
      perfmap: perfmapDir,
      input: '-',
      stdin: Readable.from(testLines),
      out: predictions,
      cwd: data,
      saveMaps: true,
      ...rt,
      onProgress: (predicted, skipped, passed) => opts.onInferProgress?.(predicted + skipped + passed, testLines.length),
    }),
  );
  const evaluation = await timed('evaluate', () => evaluate({ predictions, data, out: join(out, 'report') }));
  return { predictions, inferred, evaluation };
}

function demoTable(categories: string[], evaluation: EvaluateResult, perfmap: PerfMap, finetuned: Record<string, DemoCategoryRow['finetune']>): DemoCategoryRow[] {
  return categories.map((category) => {
    const row = evaluation.metrics.rows.find((r) => r.category === category && r.defectType === 'all');
    const entry = perfmap.categories[category];
    return {
      category,
      chosen: entry?.chosen as SubmodelKind,
      margin: entry?.margin ?? null,
      imageAuroc: row?.imageAuroc ?? null,
      pixelAuroc: row?.pixelAuroc ?? null,
      pixelAp: row?.pixelAp ?? null,
      aupro: row?.aupro ?? null,
      finetune: finetuned[category] ?? {},
    };
  });
}

/** Upper-cased demo categories, at least two (the pre-classifier tells categories apart), each known. */
function checkDemoCategories(names: readonly string[]): string[] {
  const categories = resolveCategories(names) as string[];
  if (categories.length < 2) {
    throw new MadenetError('E_USAGE', `--categories lists ${categories.length} categor${categories.length === 1 ? 'y' : 'ies'} (${categories.join(', ')}); expected at least two, since the demo trains a pre-classifier to route between them.`, {
      suggestions: [`Add one, e.g. --categories ${[...categories, categories[0] === 'QFN' ? 'BGA' : 'QFN'].join(',')}.`],
    });
  }
  return categories;
}

/**
 * A folder that already holds a demo's outputs is refused before anything runs: re-running would retrain every
 * model and then stop at infer (E_EXISTS), and demo has no --resume.
 */
async function refusePreviousRun(out: string): Promise<void> {
  const entries = (await readdir(out).catch(() => [] as string[])).filter((e) => !isLockEntry(e));
  if (entries.length === 0) return;
  throw new MadenetError('E_EXISTS', `The demo folder ${out} is not empty (it holds ${entries.slice(0, 4).join(', ')}${entries.length > 4 ? ', ...' : ''}); expected a new or empty folder.`, {
    suggestions: ['Choose another folder with --out, or delete this one to run the demo again.', 'The previous results stay where they are: open report/report.html there.'],
  });
}


/** The steps runDemo takes, counted as it counts them (for `[demo k/N]`). */
export function demoStepCount(plan: DemoPlan, categories: number): number {
  const data = 2; // make-demo, dataset inspect
  const previews = 2; // synth mixed, synth cutpaste
  const perCategory = 3 + 3; // train srad, lpd, sfad; fine-tune each of the three
  const classifier = 1 + (plan.classifierFinetune ? 1 : 0);
  const tail = 3; // build-perfmap, infer, evaluate
  return data + previews + perCategory * categories + classifier + tail;
}
