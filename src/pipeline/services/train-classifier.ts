// `madenet train-classifier`: trains the ISM pre-classifier (EfficientNet) to tell the dataset's categories
// apart, on every train-split image (normal or defective) with class-balanced batches; validates each epoch on
// a seeded hold-out and saves the best epoch as <out>/classifier/all/vNNNN. No flags, no printing.
import * as tf from '@tensorflow/tfjs';
import { resolve } from 'node:path';
import { classifierPreset, type ClassifierConfig, type ClassifierPresetName } from '../../models/classifier/config.js';
import { buildClassifier } from '../../models/classifier/model.js';
import { classifierTrainStep } from '../../models/classifier/train-step.js';
import { checkpointDir, modelArtifactsOf, writeArtifact } from '../artifacts/index.js';
import { MadenetError } from '../cli/errors.js';
import type { ClassifierArtifactConfig } from '../detectors/classifier.js';
import { CLASSIFIER_KIND } from '../infer/classifier-contract.js';
import { datasetFingerprint, loadDataset } from '../io/dataset.js';
import { initRuntime, type BackendRequest, type RuntimeInfo } from '../runtime/backend.js';
import { runTrainLoop, type EpochRecord, type LoopState } from '../train/loop.js';
import { defaultStepSchedule, stepDecayLr } from '../train/schedule.js';
import { imagesToTensor } from '../train/tensors.js';
import { restoreTrainCheckpoint, saveTrainCheckpoint, type CheckpointTarget } from '../train/train-checkpoint.js';
import { weightsFinite } from '../train/train-finite.js';
import { checkTrainNumbers, divergedWeights, interrupted, withCheckpointHint } from '../train/train-options.js';
import { applyClassifierBackbone, planClassifierBackbone } from '../train/classifier/classifier-backbone.js';
import { balancedEpochOrder, classifierEpochBatches, splitClassifierData } from '../train/classifier/classifier-data.js';
import { restoreDropCounters } from '../train/classifier/classifier-drop-state.js';
import { validateClassifier, type ClassifierValidation } from '../train/classifier/classifier-validation.js';

export const CLASSIFIER_CATEGORY = 'all';

export interface TrainClassifierOptions {
  data: string;
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
  backend?: BackendRequest;
  threads?: number;
  /** Share of each category's train images held out for validation (default 0.2). */
  valFraction?: number;
  checkpointEvery?: number;
  resume?: boolean;
  /** 'random' or an EfficientNet backbone artifact from `weights import`. */
  backbone?: string;
  signal?: AbortSignal;
  onProgress?: (p: { step: number; totalSteps: number; epoch: number; loss: number; imagesPerSecond: number }) => void;
  onEpoch?: (record: EpochRecord) => void;
}

export interface TrainClassifierResult {
  artifact: { dir: string; version: number };
  preset: ClassifierPresetName;
  variant: string;
  imageSize: number;
  categories: string[];
  backbone: string;
  /** Layers copied from the backbone artifact (null for random). */
  backboneLayers: { copied: number; missing: string[] } | null;
  metrics: ClassifierValidation & { bestEpoch: number | null };
  counts: { train: Record<string, number>; validation: Record<string, number> };
  epochs: EpochRecord[];
  steps: number;
  seconds: number;
  imagesPerSecond: number;
  resumedFrom: { dir: string; step: number } | null;
  checkpoints: string | null;
  runtime: RuntimeInfo;
  warnings: string[];
}

interface ClassifierCheckpointExtra {
  best: ClassifierValidation | null;
}

export async function trainClassifier(opts: TrainClassifierOptions): Promise<TrainClassifierResult> {
  const started = performance.now();
  const valFraction = opts.valFraction ?? 0.2;
  const checkpointEvery = opts.checkpointEvery ?? 100;
  const backboneSpec = opts.backbone ?? 'random';
  checkTrainNumbers({ epochs: opts.epochs, batchSize: opts.batchSize, lr: opts.lr, valFraction, checkpointEvery });
  const runtime = await initRuntime({ backend: opts.backend ?? 'auto', threads: opts.threads ?? 0 });
  const warnings: string[] = [];

  const backbone = await planClassifierBackbone(backboneSpec);
  const base = classifierPreset(opts.preset);
  const cfg: ClassifierConfig = classifierPreset(opts.preset, {
    seed: opts.seed,
    imageSize: opts.imageSize ?? base.imageSize,
    ...(backbone.variant && backbone.variant !== base.variant ? { variant: backbone.variant } : {}),
  });

  const dataset = await loadDataset(opts.data, opts.categories ? { categories: opts.categories } : {});
  const split = splitClassifierData(dataset, { valFraction, seed: opts.seed });
  const numClasses = split.categories.length;
  split.counts.validation.forEach((n, c) => {
    if (n === 0) warnings.push(`Category ${split.categories[c]} has too few training images to hold one out; its accuracy is not validated.`);
  });
  const stepsPerEpoch = Math.max(1, Math.floor(split.train.length / opts.batchSize));
  const totalSteps = opts.epochs * stepsPerEpoch;
  const schedule = defaultStepSchedule(opts.lr, totalSteps);
  const fingerprint = datasetFingerprint(split.train.map((s) => s.sample));
  const out = resolve(opts.out);
  const runConfig = {
    model: cfg,
    categories: split.categories,
    training: { epochs: opts.epochs, batchSize: opts.batchSize, stepsPerEpoch, optimizer: 'adam', schedule, sampling: 'class-balanced', augment: ['hflip'], backbone: backboneSpec },
    validation: { valFraction, seed: opts.seed },
    data: { root: dataset.root, trainImages: split.train.length, validationImages: split.validation.length, fingerprint },
  };
  const target: CheckpointTarget = { root: out, kind: CLASSIFIER_KIND, category: CLASSIFIER_CATEGORY, config: runConfig, seed: opts.seed, runtime };
  const ckptDir = checkpointDir(out, CLASSIFIER_KIND, CLASSIFIER_CATEGORY);

  let model: tf.LayersModel | null = null;
  let optimizer: tf.Optimizer | null = null;
  try {
    model = buildClassifier(cfg, numClasses);
    const live = model;
    const { parent, report } = await applyClassifierBackbone(backbone, live, cfg.imageSize);
    const opt = tf.train.adam(opts.lr);
    optimizer = opt;

    let resumeState: LoopState | undefined;
    let resumedFrom: TrainClassifierResult['resumedFrom'] = null;
    let bestWeights: tf.io.ModelArtifacts | null = null;
    let best: ClassifierValidation | null = null;
    if (opts.resume) {
      const restored = await restoreTrainCheckpoint<ClassifierCheckpointExtra>(target, { models: { model: live }, optimizer: opt });
      if (restored) {
        resumeState = restored.loop;
        resumedFrom = { dir: restored.ref.dir, step: restored.loop.step };
        restoreDropCounters(live, restored.loop.step);
        best = restored.extra?.best ?? null;
        bestWeights = restored.snapshots.model ?? null;
      } else {
        warnings.push(`--resume found no checkpoint in ${ckptDir}; training started from step 0.`);
      }
    }

    let lastEval: ClassifierValidation | null = null;
    let lastSaved = resumeState?.step ?? 0;
    let stepSeconds = 0;
    let stepImages = 0;
    const state = await runTrainLoop({
      epochs: opts.epochs,
      stepsPerEpoch,
      resume: resumeState,
      batches: (epoch) =>
        classifierEpochBatches(balancedEpochOrder(split.train, numClasses, { seed: opts.seed, epoch, count: stepsPerEpoch * opts.batchSize }), {
          seed: opts.seed,
          epoch,
          size: cfg.imageSize,
          batchSize: opts.batchSize,
        }),
      batchSize: (b) => b.images.length,
      lr: (step) => stepDecayLr(schedule, step),
      step: async (b, ctx) => {
        if (opts.signal?.aborted) throw interrupted(ctx.step, lastSaved, ckptDir, checkpointEvery > 0);
        const t0 = performance.now();
        const images = imagesToTensor(b.images);
        const labels = tf.tensor1d(b.labels, 'int32');
        try {
          (opt as unknown as { learningRate: number }).learningRate = ctx.lr;
          const r = classifierTrainStep(live, opt, cfg, { images, labels });
          if (Number.isFinite(r.loss) && !weightsFinite([live])) throw divergedWeights(ctx.step, ctx.epoch, r.loss, lastSaved);
          return { loss: r.loss, accuracy: r.accuracy };
        } finally {
          tf.dispose([images, labels]);
          stepSeconds += (performance.now() - t0) / 1000;
          stepImages += b.images.length;
        }
      },
      validate: async () => {
        const v = await validateClassifier(live, split.validation, { numClasses, size: cfg.imageSize, batchSize: Math.max(opts.batchSize, 8) });
        lastEval = v.result;
        return v.validation;
      },
      onBest: async () => {
        bestWeights = await modelArtifactsOf(live);
        best = lastEval;
      },
      checkpointEvery,
      saveCheckpoint:
        checkpointEvery > 0
          ? async (s) => {
              await saveTrainCheckpoint<ClassifierCheckpointExtra>(target, {
                models: { model: live },
                optimizer: opt,
                loop: s,
                snapshots: bestWeights ? { model: bestWeights } : undefined,
                extra: { best },
              });
              lastSaved = s.step;
            }
          : undefined,
      onProgress: opts.onProgress,
      onEpoch: opts.onEpoch,
    }).catch((err: unknown) => {
      throw withCheckpointHint(err, checkpointEvery > 0 ? ckptDir : null);
    });

    const weights = bestWeights as tf.io.ModelArtifacts | null;
    const bestEval = best as ClassifierValidation | null;
    if (!weights || !bestEval) throw new MadenetError('E_INTERNAL', 'Training ended without a validated epoch to save.');
    const metrics = { ...bestEval, bestEpoch: state.bestEpoch };
    const artifactConfig: ClassifierArtifactConfig & typeof runConfig = runConfig;
    const byCategory = (counts: number[]): Record<string, number> => Object.fromEntries(split.categories.map((c, i) => [c, counts[i] ?? 0]));
    const ref = await writeArtifact({
      root: out,
      kind: CLASSIFIER_KIND,
      category: CLASSIFIER_CATEGORY,
      config: artifactConfig,
      seed: opts.seed,
      datasetFingerprint: fingerprint,
      runtime,
      metrics: { validation: metrics, epochs: state.epoch, steps: state.step, history: state.history },
      parents: parent ? [parent] : [],
      models: { model: weights },
      files: {
        'categories.json': `${JSON.stringify(split.categories, null, 2)}\n`,
        'confusion.json': `${JSON.stringify({ categories: split.categories, rows: 'true', columns: 'predicted', matrix: bestEval.confusion }, null, 2)}\n`,
      },
    });
    return {
      artifact: { dir: ref.dir, version: ref.version },
      preset: opts.preset,
      variant: cfg.variant,
      imageSize: cfg.imageSize,
      categories: split.categories,
      backbone: backboneSpec,
      backboneLayers: report ? { copied: report.copied.length, missing: report.missing } : null,
      metrics,
      counts: { train: byCategory(split.counts.train), validation: byCategory(split.counts.validation) },
      epochs: state.history,
      steps: state.step,
      seconds: (performance.now() - started) / 1000,
      imagesPerSecond: stepImages / Math.max(stepSeconds, 1e-9),
      resumedFrom,
      checkpoints: checkpointEvery > 0 ? ckptDir : null,
      runtime,
      warnings,
    };
  } finally {
    optimizer?.dispose();
    model?.dispose();
  }
}
