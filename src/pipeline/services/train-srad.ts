// `madenet train-srad`: trains SRAD on one category's train normals with online anomaly synthesis, Adam and a
// step schedule, validates each epoch as build-perfmap would (never on the test split), checkpoints for an
// exact --resume, and saves the best epoch as <out>/srad/<category>/vNNNN. No flags, no printing.
import * as tf from '@tensorflow/tfjs';
import { resolve } from 'node:path';
import { sradPreset, type SradConfig, type SradPresetName } from '../../models/srad/config.js';
import { buildSrad, disposeSrad, type SradModels } from '../../models/srad/model.js';
import { sradTrainStep } from '../../models/srad/train-step.js';
import { writeArtifact } from '../artifacts/index.js';
import { MadenetError } from '../core/errors.js';
import { SRAD_KIND, type SradArtifactConfig } from '../detectors/srad.js';
import type { CandidateEvaluation } from '../perfmap/evaluate-candidates.js';
import { tileDataset, tilingRecord } from '../io/tiles.js';
import { datasetFingerprint, loadDataset } from '../io/dataset.js';
import { encodePng } from '../io/decode.js';
import { TextureBank } from '../synth/texture-bank.js';
import { defaultStepSchedule, stepDecayLr } from '../train/schedule.js';
import { BestEpoch, type BestEpochExtra } from '../train/train-best-epoch.js';
import { setWeightsFromArtifacts } from '../train/train-checkpoint.js';
import { checkTrainNumbers, DEFAULT_CHECKPOINT_EVERY, DEFAULT_VAL_FRACTION } from '../train/train-options.js';
import { setAdamRate, startRuntime, TrainingRun } from '../train/train-run.js';
import type { TrainingRunOptions, TrainingRunResult } from '../train/train-run-types.js';
import { applySradBackbone, planSradBackbone } from '../train/srad/srad-backbone.js';
import {
  ForegroundCache,
  sradEpochBatches,
  sradStepsPerEpoch,
  synthesizeSradBatch,
  type ForegroundMode,
  type SradSynthOptions,
} from '../train/srad/srad-batches.js';
import { sradPreview } from '../train/srad/srad-preview.js';
import { planSradValidation, validateSrad, MIN_SELECTION_DEFECTS, SRAD_VALIDATION_LAMBDA } from '../train/srad/srad-validation.js';
import { trainNormalsOutside } from '../train/train-split.js';
import { bestEpochMetrics, thresholdsFile, type DetectorTrainingMetrics } from '../train/train-detector-validation.js';
import { checkImageSize } from '../train/image-size-check.js';

export interface TrainSradOptions extends TrainingRunOptions {
  category: string;
  /** Artifact root: <out>/srad/<category>/vNNNN, checkpoints under <out>/checkpoints/srad/<category>. */
  out: string;
  preset: SradPresetName;
  /** Overrides the preset's square input side. */
  imageSize?: number;
  epochs: number;
  batchSize: number;
  /** Adam's base rate; x0.2 at 80% and 90% of the steps. */
  lr: number;
  seed: number;
  /** Folder of texture images; default the built-in procedural set (as build-perfmap). */
  textures?: string;
  foreground?: ForegroundMode;
  focalAlpha?: number;
  focalGamma?: number;
  lambdaRec?: number;
  lambdaSeg?: number;
  /** Share of train normals held out for validation (default 0.2, at most 64 images, as build-perfmap). */
  valFraction?: number;
  /** 'random' or a backbone artifact (hrnet_w18 / hrnet_w32) from `weights import`. */
  backbone?: string;
  /** Share of training samples left without an anomaly (default 0.5, as DRAEM). */
  normalProbability?: number;
}

/** `objective` is build-perfmap's objective at lambda 0.5, averaged with the same on synthetic defects when `synthetic` is set. */
export interface SradMetrics extends DetectorTrainingMetrics {
  /** The same on synthetic defects, when too few real ones made the epoch choice count them too (else null). */
  synthetic: { imageAuroc: number | null; pixelAp: number | null; defects: number } | null;
}

export interface TrainSradResult extends TrainingRunResult {
  category: string;
  preset: SradPresetName;
  backbone: string;
  metrics: SradMetrics;
  /** selection: what the best epoch was chosen on (build-perfmap's plan, or that plus synthetic defects). */
  validation: { source: string; normals: number; defects: number; selection: 'validation' | 'validation+synthetic' };
  trainImages: number;
}

interface SradCheckpointExtra extends BestEpochExtra<CandidateEvaluation> {
  bestSynthetic: CandidateEvaluation | null;
}

export async function trainSrad(opts: TrainSradOptions): Promise<TrainSradResult> {
  const started = performance.now();
  const valFraction = opts.valFraction ?? DEFAULT_VAL_FRACTION;
  const checkpointEvery = opts.checkpointEvery ?? DEFAULT_CHECKPOINT_EVERY;
  const normalProbability = opts.normalProbability ?? 0.5;
  const foreground = opts.foreground ?? 'auto';
  const backboneSpec = opts.backbone ?? 'random';
  checkTrainNumbers({ epochs: opts.epochs, batchSize: opts.batchSize, lr: opts.lr, valFraction, checkpointEvery });
  if (foreground !== 'auto' && foreground !== 'none') throw new MadenetError('E_USAGE', `--foreground is ${String(foreground)}; expected auto or none.`);
  if (!(normalProbability >= 0 && normalProbability < 1)) throw new MadenetError('E_USAGE', `normalProbability is ${normalProbability}; expected a number in [0, 1).`);
  const runtime = await startRuntime(opts);
  const warnings: string[] = [];

  const backbone = await planSradBackbone(backboneSpec);
  const cfg: SradConfig = sradPreset(opts.preset, {
    seed: opts.seed,
    ...(opts.imageSize !== undefined ? { imageSize: opts.imageSize } : {}),
    ...(backbone.encoder ? { encoder: backbone.encoder } : {}),
    loss: definedOnly({ focalAlpha: opts.focalAlpha, focalGamma: opts.focalGamma, lambdaRec: opts.lambdaRec, lambdaSeg: opts.lambdaSeg }),
  });

  const dataset = await tileDataset(await loadDataset(opts.data, { categories: [opts.category] }), opts.category, opts.tile, opts.seed);
  const plans = planSradValidation(dataset, opts.category, { valFraction, seed: opts.seed });
  const plan = plans.plan;
  const train = trainNormalsOutside(dataset, opts.category, plan, valFraction, opts.seed);
  const sizeCheck = await checkImageSize(train, cfg.imageSize, opts.imageSize !== undefined);
  if (sizeCheck.warning) warnings.push(sizeCheck.warning);
  const textures = await TextureBank.forRun(opts.textures, cfg.imageSize, opts.seed);
  const synth: SradSynthOptions = { textures, foreground, normalProbability };
  const stepsPerEpoch = sradStepsPerEpoch(train.length, opts.batchSize);
  const totalSteps = opts.epochs * stepsPerEpoch;
  const schedule = defaultStepSchedule(opts.lr, totalSteps);
  const fingerprint = datasetFingerprint(train);
  const out = resolve(opts.out);

  const runConfig = {
    model: cfg,
    training: {
      epochs: opts.epochs,
      batchSize: opts.batchSize,
      stepsPerEpoch,
      optimizer: 'adam',
      schedule,
      normalProbability,
      foreground,
      textures: textures.source,
      backbone: backboneSpec,
    },
    validation: {
      valFraction,
      seed: opts.seed,
      source: plan.source,
      lambda: SRAD_VALIDATION_LAMBDA,
      selection: plans.supplement ? 'validation+synthetic' : 'validation',
      minSelectionDefects: MIN_SELECTION_DEFECTS,
    },
    data: { root: dataset.root, category: opts.category, trainImages: train.length, fingerprint, tiling: tilingRecord(opts.tile, dataset.tiling), imageSize: sizeCheck.record },
  };
  const target = { root: out, kind: SRAD_KIND, category: opts.category, config: runConfig, seed: opts.seed, runtime };

  let models: SradModels | null = null;
  let optimizer: tf.Optimizer | null = null;
  // The run holds its checkpoint series' lock from restore() on; released whatever happens.
  let runLock: { dispose(): Promise<void> } | null = null;
  try {
    models = buildSrad(cfg);
    const live = models;
    const parent = await applySradBackbone(backbone, live, cfg.imageSize);
    const opt = tf.train.adam(opts.lr);
    optimizer = opt;
    const named = { reconstructive: live.reconstructive, discriminative: live.discriminative };
    const run = new TrainingRun<SradCheckpointExtra>(target, { models: named, optimizer: opt, checkpointEvery, started, warnings, options: opts });
    runLock = run;

    const best = new BestEpoch<CandidateEvaluation>();
    // The best epoch's figures on synthetic defects (metrics.synthetic), checkpointed next to it.
    let bestSynthetic: CandidateEvaluation | null = null;
    const restored = await run.restore(opts.resume, best);
    if (restored) bestSynthetic = restored.extra?.bestSynthetic ?? null;

    const cache = new ForegroundCache();
    let lastSynthetic: CandidateEvaluation | null = null;
    const state = await run.loop({
      epochs: opts.epochs,
      stepsPerEpoch,
      batches: (epoch) => sradEpochBatches(train, { seed: opts.seed, epoch, size: cfg.imageSize, batchSize: opts.batchSize, stepsPerEpoch }),
      batchSize: (b) => b.items.length,
      lr: (step) => stepDecayLr(schedule, step),
      step: async (raw, ctx) => {
        const batch = synthesizeSradBatch(raw, synth, cache);
        try {
          setAdamRate(opt, ctx.lr);
          const r = await sradTrainStep(live, opt, cfg, batch);
          return { loss: r.total, rec: r.rec, ssim: r.ssim, focal: r.focal };
        } finally {
          tf.dispose([batch.image, batch.clean, batch.mask]);
        }
      },
      validate: async () => {
        const v = await validateSrad(live, cfg, plans, { textures, batchSize: Math.max(opts.batchSize, 8) });
        best.measured(v.evaluation);
        lastSynthetic = v.synthetic;
        return v.validation;
      },
      onBest: async () => {
        await best.keep(named);
        bestSynthetic = lastSynthetic;
      },
      checkpoint: () => {
        const kept = best.checkpoint();
        return { snapshots: kept.snapshots, extra: { ...kept.extra, bestSynthetic } };
      },
    });

    const { weights, evaluation: bestEval } = best.chosen('Training');
    // Assigned in callbacks only, which TypeScript's narrowing does not follow.
    const bestSynth = bestSynthetic as CandidateEvaluation | null;
    // The preview shows the saved (best) weights, not the last step's.
    setWeightsFromArtifacts(live.reconstructive, weights.reconstructive as tf.io.ModelArtifacts, 'best reconstructive snapshot');
    setWeightsFromArtifacts(live.discriminative, weights.discriminative as tf.io.ModelArtifacts, 'best discriminative snapshot');
    const preview = await encodePng(await sradPreview(live, cfg, plan, { textures }));

    const metrics: SradMetrics = {
      ...bestEpochMetrics(bestEval, state),
      synthetic: bestSynth ? { imageAuroc: bestSynth.imageAuroc, pixelAp: bestSynth.pixelAp, defects: bestSynth.defects } : null,
    };
    const artifactConfig: SradArtifactConfig & typeof runConfig = runConfig;
    const ref = await writeArtifact({
      // --resume of a finished run gives the same bytes again: keep the version it made, write no copy.
      reuseIdentical: opts.resume === true,
      root: out,
      kind: SRAD_KIND,
      category: opts.category,
      config: artifactConfig,
      seed: opts.seed,
      datasetFingerprint: fingerprint,
      runtime,
      metrics: { validation: metrics, epochs: state.epoch, steps: state.step, history: state.history },
      parents: parent ? [parent] : [],
      models: weights,
      files: {
        'preview.png': preview,
        'thresholds.json': thresholdsFile(bestEval),
      },
    });

    return {
      artifact: { dir: ref.dir, version: ref.version },
      category: opts.category,
      preset: opts.preset,
      imageSize: cfg.imageSize,
      backbone: backboneSpec,
      metrics,
      validation: {
        source: plan.source,
        normals: bestEval.normals,
        defects: bestEval.defects,
        selection: plans.supplement ? 'validation+synthetic' : 'validation',
      },
      trainImages: train.length,
      ...run.resultFields(state),
    };
  } finally {
    await runLock?.dispose();
    optimizer?.dispose();
    if (models) disposeSrad(models);
  }
}

function definedOnly<T extends Record<string, number | undefined>>(o: T): Partial<Record<keyof T, number>> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<Record<keyof T, number>>;
}
