// `madenet train-classifier`: trains the ISM pre-classifier (EfficientNet) to tell the dataset's categories
// apart, on every train-split image (normal or defective) with class-balanced batches; validates each epoch on
// a seeded hold-out and saves the best epoch as <out>/classifier/all/vNNNN. No flags, no printing.
import * as tf from '@tensorflow/tfjs';
import { resolve } from 'node:path';
import { classifierPreset, type ClassifierConfig, type ClassifierPresetName } from '../../models/classifier/config.js';
import { buildClassifier, buildClassifierOn } from '../../models/classifier/model.js';
import { defaultLayersOf, isNpmBackbone, loadFeatureExtractor, type BackboneProvenance } from '../weights/backbone-registry.js';
import { writeArtifact } from '../artifacts/index.js';
import type { ClassifierArtifactConfig } from '../detectors/classifier.js';
import { CLASSIFIER_KIND } from '../infer/classifier-contract.js';
import { datasetFingerprint, loadDataset } from '../io/dataset.js';
import { defaultStepSchedule, stepDecayLr } from '../train/schedule.js';
import { BestEpoch, type BestEpochExtra } from '../train/train-best-epoch.js';
import { checkTrainNumbers, DEFAULT_CHECKPOINT_EVERY, DEFAULT_VAL_FRACTION } from '../train/train-options.js';
import { startRuntime, TrainingRun, type RunLoopOptions } from '../train/train-run.js';
import type { TrainingRunOptions, TrainingRunResult } from '../train/train-run-types.js';
import { applyClassifierBackbone, planClassifierBackbone } from '../train/classifier/classifier-backbone.js';
import { balancedEpochOrder, classifierEpochBatches, splitClassifierData, type ClassifierBatchItems } from '../train/classifier/classifier-data.js';
import { restoreDropCounters } from '../train/classifier/classifier-drop-state.js';
import { classifierArtifactFiles, classifierLoopStep } from '../train/classifier/classifier-run.js';
import { validateClassifier, type ClassifierValidation } from '../train/classifier/classifier-validation.js';
import { checkImageSize } from '../train/image-size-check.js';

export const CLASSIFIER_CATEGORY = 'all';

export interface TrainClassifierOptions extends TrainingRunOptions {
  /** Artifact root: <out>/classifier/all/vNNNN, checkpoints under <out>/checkpoints/classifier/all. */
  out: string;
  preset: ClassifierPresetName;
  imageSize?: number;
  /** Only these categories (at least two); default every category of the dataset. */
  categories?: string[];
  epochs: number;
  batchSize: number;
  lr: number;
  seed: number;
  /** Share of each category's train images held out for validation (default 0.2). */
  valFraction?: number;
  /** 'random', an EfficientNet backbone artifact from `weights import`, or a packaged network (`npm:nsfwjs/mobilenet_v2`) as the body. */
  backbone?: string;
}

export interface TrainClassifierResult extends TrainingRunResult {
  preset: ClassifierPresetName;
  variant: string;
  categories: string[];
  backbone: string;
  /** Layers copied from the backbone artifact (null for random). */
  backboneLayers: { copied: number; missing: string[] } | null;
  metrics: ClassifierValidation & { bestEpoch: number | null };
  counts: { train: Record<string, number>; validation: Record<string, number> };
}

type ClassifierCheckpointExtra = BestEpochExtra<ClassifierValidation>;

export async function trainClassifier(opts: TrainClassifierOptions): Promise<TrainClassifierResult> {
  const started = performance.now();
  const valFraction = opts.valFraction ?? DEFAULT_VAL_FRACTION;
  const checkpointEvery = opts.checkpointEvery ?? DEFAULT_CHECKPOINT_EVERY;
  const backboneSpec = opts.backbone ?? 'random';
  checkTrainNumbers({ epochs: opts.epochs, batchSize: opts.batchSize, lr: opts.lr, valFraction, checkpointEvery });
  const runtime = await startRuntime(opts);
  const warnings: string[] = [];

  // A packaged network is the body itself (cut at its global layer), not weights copied into an EfficientNet.
  const packaged = isNpmBackbone(backboneSpec);
  const backbone = packaged ? null : await planClassifierBackbone(backboneSpec);
  const cfg = classifierConfigFor(opts, backboneSpec, packaged, backbone?.variant);
  const plan = await planTraining(opts, cfg, { valFraction, backboneSpec }, warnings);
  const out = resolve(opts.out);

  let model: tf.LayersModel | null = null;
  let optimizer: tf.Optimizer | null = null;
  // The run holds its checkpoint series' lock from restore() on; released whatever happens.
  let runLock: { dispose(): Promise<void> } | null = null;
  try {
    const built = await buildModel(cfg, plan.numClasses, opts.seed);
    model = built.model;
    const provenance = built.provenance;
    const live = model;
    const { parent, report } = backbone ? await applyClassifierBackbone(backbone, live, cfg.imageSize) : { parent: null, report: null };
    // Package, version and licence of a packaged body, as train-patchcore and train-sfad record them.
    if (provenance) (plan.runConfig as Record<string, unknown>).backboneSource = provenance;
    const opt = tf.train.adam(opts.lr);
    optimizer = opt;
    const models = { model: live };
    const target = { root: out, kind: CLASSIFIER_KIND, category: CLASSIFIER_CATEGORY, config: plan.runConfig, seed: opts.seed, runtime };
    const run = new TrainingRun<ClassifierCheckpointExtra>(target, { models, optimizer: opt, checkpointEvery, started, warnings, options: opts });
    runLock = run;

    const best = new BestEpoch<ClassifierValidation>();
    const restored = await run.restore(opts.resume, best);
    if (restored) restoreDropCounters(live, restored.loop.step);
    const state = await run.loop(trainingLoop(opts, plan, cfg, { live, opt, best }));

    const chosen = best.chosen('Training');
    const metrics = { ...chosen.evaluation, bestEpoch: state.bestEpoch };
    const byCategory = (counts: number[]): Record<string, number> => Object.fromEntries(plan.split.categories.map((c, i) => [c, counts[i] ?? 0]));
    const ref = await writeClassifierArtifact(opts, plan, { out, runtime, parent, chosen, metrics, state });
    return {
      artifact: { dir: ref.dir, version: ref.version },
      preset: opts.preset,
      variant: cfg.variant,
      imageSize: cfg.imageSize,
      categories: plan.split.categories,
      backbone: backboneSpec,
      backboneLayers: report ? { copied: report.copied.length, missing: report.missing } : null,
      metrics,
      counts: { train: byCategory(plan.split.counts.train), validation: byCategory(plan.split.counts.validation) },
      ...run.resultFields(state),
    };
  } finally {
    await runLock?.dispose();
    optimizer?.dispose();
    model?.dispose();
  }
}

/** The preset's config with the run's seed and size, an imported backbone's variant, or a packaged network as the body. */
function classifierConfigFor(opts: TrainClassifierOptions, backboneSpec: string, packaged: boolean, backboneVariant: ClassifierConfig['variant'] | null | undefined): ClassifierConfig {
  const base = classifierPreset(opts.preset);
  return classifierPreset(opts.preset, {
    seed: opts.seed,
    imageSize: opts.imageSize ?? base.imageSize,
    ...(backboneVariant && backboneVariant !== base.variant ? { variant: backboneVariant } : {}),
    ...(packaged ? { network: backboneSpec as `npm:${string}`, networkLayer: defaultLayersOf(backboneSpec)?.globalLayer ?? undefined } : {}),
  });
}

/** The classifier on a packaged body (its provenance recorded), or a plain EfficientNet. */
async function buildModel(cfg: ClassifierConfig, numClasses: number, seed: number): Promise<{ model: tf.LayersModel; provenance: BackboneProvenance | null }> {
  if (!cfg.network) return { model: buildClassifier(cfg, numClasses), provenance: null };
  const loaded = await loadFeatureExtractor(cfg.network, { layers: [cfg.networkLayer ?? ''], inputSize: cfg.imageSize, seed });
  try {
    // The body is owned by the model from here on.
    return { model: buildClassifierOn(loaded.extractor, cfg, numClasses), provenance: loaded.provenance };
  } catch (err) {
    loaded.extractor.dispose();
    throw err;
  }
}

interface ClassifierOutcome {
  out: string;
  runtime: Awaited<ReturnType<typeof startRuntime>>;
  parent: Awaited<ReturnType<typeof applyClassifierBackbone>>['parent'] | null;
  chosen: ReturnType<BestEpoch<ClassifierValidation>['chosen']>;
  metrics: ClassifierValidation & { bestEpoch: number | null };
  state: { epoch: number; step: number; history: unknown };
}

/** Saves the best epoch as <out>/classifier/all/vNNNN. */
function writeClassifierArtifact(opts: TrainClassifierOptions, plan: ClassifierPlan, o: ClassifierOutcome): ReturnType<typeof writeArtifact> {
  const artifactConfig: ClassifierArtifactConfig & ClassifierRunConfig = plan.runConfig;
  return writeArtifact({
    // --resume of a finished run gives the same bytes again: keep the version it made, write no copy.
    reuseIdentical: opts.resume === true,
    root: o.out,
    kind: CLASSIFIER_KIND,
    category: CLASSIFIER_CATEGORY,
    config: artifactConfig,
    seed: opts.seed,
    datasetFingerprint: plan.fingerprint,
    runtime: o.runtime,
    metrics: { validation: o.metrics, epochs: o.state.epoch, steps: o.state.step, history: o.state.history },
    parents: o.parent ? [o.parent] : [],
    models: o.chosen.weights,
    files: classifierArtifactFiles(plan.split.categories, o.chosen.evaluation.confusion),
  });
}

/** The run's data split, step counts and learning-rate schedule, and the config recorded with it. */
type ClassifierPlan = Awaited<ReturnType<typeof planTraining>>;
type ClassifierRunConfig = ClassifierPlan['runConfig'];

async function planTraining(opts: TrainClassifierOptions, cfg: ClassifierConfig, s: { valFraction: number; backboneSpec: string }, warnings: string[]) {
  const dataset = await loadDataset(opts.data, opts.categories ? { categories: opts.categories } : {});
  const split = splitClassifierData(dataset, { valFraction: s.valFraction, seed: opts.seed });
  split.counts.validation.forEach((n, c) => {
    if (n === 0) warnings.push(`Category ${split.categories[c]} has too few training images to hold one out; its accuracy is not validated.`);
  });
  const stepsPerEpoch = Math.max(1, Math.floor(split.train.length / opts.batchSize));
  const totalSteps = opts.epochs * stepsPerEpoch;
  const schedule = defaultStepSchedule(opts.lr, totalSteps);
  const fingerprint = datasetFingerprint(split.train.map((x) => x.sample));
  const sizeCheck = await checkImageSize(split.train.map((x) => x.sample.path), cfg.imageSize, opts.imageSize !== undefined);
  if (sizeCheck.warning) warnings.push(sizeCheck.warning);
  const runConfig = {
    model: cfg,
    categories: split.categories,
    training: { epochs: opts.epochs, batchSize: opts.batchSize, stepsPerEpoch, optimizer: 'adam', schedule, sampling: 'class-balanced', augment: ['hflip'], backbone: s.backboneSpec },
    validation: { valFraction: s.valFraction, seed: opts.seed },
    data: { root: dataset.root, trainImages: split.train.length, validationImages: split.validation.length, fingerprint, imageSize: sizeCheck.record },
  };
  return { split, numClasses: split.categories.length, stepsPerEpoch, schedule, fingerprint, runConfig };
}

/** The loop's inputs: class-balanced epochs, step-decay learning rate, validation feeding the best epoch. */
function trainingLoop(
  opts: TrainClassifierOptions,
  plan: ClassifierPlan,
  cfg: ClassifierConfig,
  m: { live: tf.LayersModel; opt: tf.Optimizer; best: BestEpoch<ClassifierValidation> },
): RunLoopOptions<ClassifierBatchItems, ClassifierCheckpointExtra> {
  const { split, numClasses, stepsPerEpoch, schedule } = plan;
  const { live, best } = m;
  const models = { model: live };
  return {
    epochs: opts.epochs,
    stepsPerEpoch,
    batches: (epoch) =>
      classifierEpochBatches(balancedEpochOrder(split.train, numClasses, { seed: opts.seed, epoch, count: stepsPerEpoch * opts.batchSize }), {
        seed: opts.seed,
        epoch,
        size: cfg.imageSize,
        batchSize: opts.batchSize,
      }),
    batchSize: (b) => b.images.length,
    lr: (step) => stepDecayLr(schedule, step),
    step: classifierLoopStep(live, m.opt, cfg),
    validate: async () => {
      const v = await validateClassifier(live, split.validation, { numClasses, size: cfg.imageSize, batchSize: Math.max(opts.batchSize, 8) });
      best.measured(v.result);
      return v.validation;
    },
    onBest: () => best.keep(models),
    checkpoint: () => best.checkpoint(),
  };
}
