// SRAD's part of the generic training workflow (train/workflow.ts): preset and backbone, the validation plan with
// its synthetic supplement, online anomaly synthesis, Adam with a step schedule, and the artifact's preview.
import * as tf from '@tensorflow/tfjs';
import { sradPreset, type SradConfig, type SradPresetName } from '../model/config.js';
import { buildSrad, disposeSrad, type SradModels } from '../model/model.js';
import { sradTrainStep } from '../model/train-step.js';
import { MadenetError } from '../../../core/errors.js';
import { SRAD_KIND, type SradArtifactConfig } from '../detector.js';
import type { CandidateEvaluation } from '../../../perfmap/evaluate-candidates.js';
import { datasetFingerprint, loadDataset, type Sample } from '../../../io/dataset.js';
import { encodePng } from '../../../io/decode.js';
import { TextureBank } from '../../../synth/texture-bank.js';
import { defaultStepSchedule, stepDecayLr } from '../../../train/schedule.js';
import { setAdamRate } from '../../../train/train-run.js';
import type { TrainingRunOptions, TrainingRunResult } from '../../../train/train-run-types.js';
import { trainNumbers, type OpenContext, type TrainSession, type TrainWorkflow } from '../../../train/workflow.js';
import { applySradBackbone, planSradBackbone } from './srad-backbone.js';
import { ForegroundCache, sradEpochBatches, sradStepsPerEpoch, synthesizeSradBatch, type ForegroundMode, type SradRawBatch, type SradSynthOptions } from './srad-batches.js';
import { sradPreview } from './srad-preview.js';
import { planSradValidation, validateSrad, MIN_SELECTION_DEFECTS, SRAD_VALIDATION_LAMBDA, type SradValidationPlans } from './srad-validation.js';
import { trainNormalsOutside } from '../../../train/train-split.js';
import { bestEpochMetrics, thresholdsFile, type DetectorTrainingMetrics } from '../../../train/train-detector-validation.js';
import { checkImageSize } from '../../../train/image-size-check.js';
import { tileDataset, tilingRecord } from '../../../io/tiles.js';

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

/** The best epoch's figures on synthetic defects, checkpointed next to it. */
interface SradCheckpointExtra {
  bestSynthetic: CandidateEvaluation | null;
}

/** Checks the options (before any I/O) and returns the run for runTraining. */
export function sradWorkflow(opts: TrainSradOptions): TrainWorkflow<SradRawBatch, TrainSradResult, SradCheckpointExtra> {
  const n = trainNumbers(opts, { epochs: opts.epochs, batchSize: opts.batchSize, lr: opts.lr });
  const normalProbability = opts.normalProbability ?? 0.5;
  const foreground = opts.foreground ?? 'auto';
  if (foreground !== 'auto' && foreground !== 'none') throw new MadenetError('E_USAGE', `--foreground is ${String(foreground)}; expected auto or none.`);
  if (!(normalProbability >= 0 && normalProbability < 1)) throw new MadenetError('E_USAGE', `normalProbability is ${normalProbability}; expected a number in [0, 1).`);
  const settings = { ...n, normalProbability, foreground, backboneSpec: opts.backbone ?? 'random' };
  return {
    kind: SRAD_KIND,
    category: opts.category,
    out: opts.out,
    seed: opts.seed,
    checkpointEvery: n.checkpointEvery,
    options: opts,
    open: (ctx) => openSrad(opts, settings, ctx),
  };
}

type SradSettings = ReturnType<typeof trainNumbers> & { normalProbability: number; foreground: ForegroundMode; backboneSpec: string };

async function openSrad(opts: TrainSradOptions, s: SradSettings, ctx: OpenContext): Promise<TrainSession<SradRawBatch, TrainSradResult, SradCheckpointExtra>> {
  const backbone = await planSradBackbone(s.backboneSpec);
  const cfg: SradConfig = sradPreset(opts.preset, {
    seed: opts.seed,
    ...(opts.imageSize !== undefined ? { imageSize: opts.imageSize } : {}),
    ...(backbone.encoder ? { encoder: backbone.encoder } : {}),
    loss: definedOnly({ focalAlpha: opts.focalAlpha, focalGamma: opts.focalGamma, lambdaRec: opts.lambdaRec, lambdaSeg: opts.lambdaSeg }),
  });
  const dataset = await tileDataset(await loadDataset(opts.data, { categories: [opts.category] }), opts.category, opts.tile, opts.seed);
  const plans = planSradValidation(dataset, opts.category, { valFraction: s.valFraction, seed: opts.seed });
  const plan = plans.plan;
  const train = trainNormalsOutside(dataset, opts.category, plan, s.valFraction, opts.seed);
  const sizeCheck = await checkImageSize(train, cfg.imageSize, opts.imageSize !== undefined);
  if (sizeCheck.warning) ctx.warnings.push(sizeCheck.warning);
  const textures = await TextureBank.forRun(opts.textures, cfg.imageSize, opts.seed);
  const synth: SradSynthOptions = { textures, foreground: s.foreground, normalProbability: s.normalProbability };
  const stepsPerEpoch = sradStepsPerEpoch(train.length, s.batchSize);
  const schedule = defaultStepSchedule(s.lr, s.epochs * stepsPerEpoch);
  const fingerprint = datasetFingerprint(train);
  const selection: TrainSradResult['validation']['selection'] = plans.supplement ? 'validation+synthetic' : 'validation';
  const config = {
    model: cfg,
    training: { epochs: s.epochs, batchSize: s.batchSize, stepsPerEpoch, optimizer: 'adam', schedule, normalProbability: s.normalProbability, foreground: s.foreground, textures: textures.source, backbone: s.backboneSpec },
    validation: { valFraction: s.valFraction, seed: opts.seed, source: plan.source, lambda: SRAD_VALIDATION_LAMBDA, selection, minSelectionDefects: MIN_SELECTION_DEFECTS },
    data: { root: dataset.root, category: opts.category, trainImages: train.length, fingerprint, tiling: tilingRecord(opts.tile, dataset.tiling), imageSize: sizeCheck.record },
  };
  const artifactConfig: SradArtifactConfig & typeof config = config;

  const live = buildSrad(cfg);
  ctx.defer(() => disposeSrad(live));
  const parent = await applySradBackbone(backbone, live, cfg.imageSize);
  const opt = tf.train.adam(s.lr);
  ctx.defer(() => opt.dispose());
  return {
    config: artifactConfig,
    fingerprint,
    models: { reconstructive: live.reconstructive, discriminative: live.discriminative },
    optimizer: opt,
    ...sradLoop(opts, s, { live, cfg, opt, train, plans, textures, synth, schedule, stepsPerEpoch, selection, parent }),
  };
}

interface SradRun {
  live: SradModels;
  cfg: SradConfig;
  opt: tf.Optimizer;
  train: Sample[];
  plans: SradValidationPlans;
  textures: TextureBank;
  synth: SradSynthOptions;
  schedule: ReturnType<typeof defaultStepSchedule>;
  stepsPerEpoch: number;
  selection: TrainSradResult['validation']['selection'];
  parent: Awaited<ReturnType<typeof applySradBackbone>>;
}

/** SRAD's steps (anomalies synthesised online), its validation with synthetic figures, and the artifact's files. */
function sradLoop(opts: TrainSradOptions, s: SradSettings, r: SradRun): Omit<TrainSession<SradRawBatch, TrainSradResult, SradCheckpointExtra>, 'config' | 'fingerprint' | 'models' | 'optimizer'> {
  const { live, cfg, opt, train, plans, textures, synth, schedule, stepsPerEpoch } = r;
  const cache = new ForegroundCache();
  let bestSynthetic: CandidateEvaluation | null = null;
  let lastSynthetic: CandidateEvaluation | null = null;
  return {
    loop: {
      epochs: s.epochs,
      stepsPerEpoch,
      batches: (epoch) => sradEpochBatches(train, { seed: opts.seed, epoch, size: cfg.imageSize, batchSize: s.batchSize, stepsPerEpoch }),
      batchSize: (b) => b.items.length,
      lr: (step) => stepDecayLr(schedule, step),
      step: async (raw, stepCtx) => {
        const batch = synthesizeSradBatch(raw, synth, cache);
        try {
          setAdamRate(opt, stepCtx.lr);
          const l = await sradTrainStep(live, opt, cfg, batch);
          return { loss: l.total, rec: l.rec, ssim: l.ssim, focal: l.focal };
        } finally {
          tf.dispose([batch.image, batch.clean, batch.mask]);
        }
      },
    },
    validate: async () => {
      const v = await validateSrad(live, cfg, plans, { textures, batchSize: Math.max(s.batchSize, 8) });
      lastSynthetic = v.synthetic;
      return v;
    },
    onBest: () => {
      bestSynthetic = lastSynthetic;
    },
    checkpointExtra: () => ({ bestSynthetic }),
    restored: (_step, extra) => {
      bestSynthetic = extra?.bestSynthetic ?? null;
    },
    finish: async ({ evaluation }, state) => {
      const plan = plans.plan;
      const preview = await encodePng(await sradPreview(live, cfg, plan, { textures }));
      const synthetic = bestSynthetic as CandidateEvaluation | null;
      const metrics: SradMetrics = {
        ...bestEpochMetrics(evaluation, state),
        synthetic: synthetic ? { imageAuroc: synthetic.imageAuroc, pixelAp: synthetic.pixelAp, defects: synthetic.defects } : null,
      };
      return {
        validation: metrics,
        files: { 'preview.png': preview, 'thresholds.json': thresholdsFile(evaluation) },
        parents: r.parent ? [r.parent] : [],
        result: (artifact, fields) => ({
          artifact,
          category: opts.category,
          preset: opts.preset,
          imageSize: cfg.imageSize,
          backbone: s.backboneSpec,
          metrics,
          validation: { source: plan.source, normals: evaluation.normals, defects: evaluation.defects, selection: r.selection },
          trainImages: train.length,
          ...fields,
        }),
      };
    },
  };
}

function definedOnly<T extends Record<string, number | undefined>>(o: T): Partial<Record<keyof T, number>> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<Record<keyof T, number>>;
}
