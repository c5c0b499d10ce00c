// LPD's part of the generic training workflow (train/workflow.ts): backbone source, balanced CutPaste batches
// behind the perceptibility gate, SGD with cosine decay, and the localisation GDE fitted on the train normals
// with every validated epoch (the best epoch's GDE goes into the artifact).
import * as tf from '@tensorflow/tfjs';
import { lpdPreset, type LpdConfig, type LpdPresetName } from '../model/config.js';
import type { GdeState } from '../model/gde.js';
import { buildLpd, disposeLpd, lpdTrainableVariables, type LpdModel } from '../model/model.js';
import { MadenetError } from '../../../core/errors.js';
import { DEFAULT_LPD_SCORING, LPD_GDE_FILE, LPD_KIND, LPD_SCORINGS, lpdDetector, type LpdArtifactConfig, type LpdScoring } from '../detector.js';
import { datasetFingerprint } from '../../../io/dataset.js';
import type { ValidationPlan } from '../../../perfmap/validation-set.js';
import { DEFAULT_GATE, type GateOptions } from '../../../synth/index.js';
import { TextureBank } from '../../../synth/texture-bank.js';
import { cosineLr, type CosineSchedule } from '../../../train/train-cosine.js';
import { bestEpochMetrics, thresholdsFile, validateDetector, VALIDATION_LAMBDA, type DetectorTrainingMetrics } from '../../../train/train-detector-validation.js';
import type { TrainingRunFields, TrainingRunOptions, TrainingRunResult } from '../../../train/train-run-types.js';
import type { LoopState } from '../../../train/loop.js';
import type { CandidateEvaluation } from '../../../perfmap/evaluate-candidates.js';
import { splitWithBackbone } from '../../../train/backbone-run.js';
import { trainNumbers, type OpenContext, type TrainSession, type TrainWorkflow } from '../../../train/workflow.js';
import {
  emptyCutPasteStats,
  lpdEpochBatches,
  lpdStepsPerEpoch,
  LPD_VARIANTS,
  synthesizeLpdBatch,
  type CutPasteStats,
  type LpdCutPasteVariant,
  type LpdRawBatch,
  type LpdSynthOptions,
} from './lpd-batches.js';
import { restoreDropoutCalls } from './lpd-dropout-state.js';
import { fitGdeOnNormals, gdeFile } from './lpd-gde-fit.js';
import { LpdSgd } from './lpd-sgd.js';
import { lpdTrainStep } from './lpd-step.js';
import { RANDOM_BACKBONE, type BackboneSource } from '../../../weights/backbone-source.js';
import { checkImageSize } from '../../../train/image-size-check.js';
import { tilingRecord } from '../../../io/tiles.js';

/** CutPaste's colour jitter on every training image. */
export const LPD_JITTER = 0.1;

export interface TrainLpdOptions extends TrainingRunOptions {
  category: string;
  /** Artifact root: <out>/lpd/<category>/vNNNN, checkpoints under <out>/checkpoints/lpd/<category>. */
  out: string;
  preset: LpdPresetName;
  imageSize?: number;
  /** Default: the preset's. */
  epochs?: number;
  /** Images per step, half normal and half CutPaste (even); default the preset's. */
  batchSize?: number;
  /** SGD base rate (cosine decay to 0); default the preset's. */
  lr?: number;
  seed: number;
  /** 'random' or a backbone artifact (`weights import`; CutPaste starts from ImageNet weights). */
  backbone?: string;
  /** CutPaste variant: normal (rectangles, default), scar, or mixed. */
  variant?: LpdCutPasteVariant;
  /** Turn the perceptibility gate off (default on, synth's thresholds). */
  noGate?: boolean;
  /** Image score the saved detector reports: head (P(patched)) or gde (max of the map). */
  scoring?: LpdScoring;
  /** Backbone stages whose aggregated maps are the GDE patch embeddings; default the preset's. */
  gdeLayers?: string[];
  textures?: string;
}

export type LpdMetrics = DetectorTrainingMetrics;

export interface TrainLpdResult extends TrainingRunResult {
  category: string;
  preset: LpdPresetName;
  backbone: string;
  backboneParent: { kind: string; category: string; version: number; dir: string } | null;
  scoring: LpdScoring;
  metrics: LpdMetrics;
  validation: { source: string; normals: number; defects: number };
  /** The perceptibility gate over this invocation's CutPaste images. */
  cutPaste: CutPasteStats & { variant: LpdCutPasteVariant; gate: boolean };
  gde: { images: number; height: number; width: number; dim: number };
  trainImages: number;
}

/** Checks the options (before any I/O) and returns the run for runTraining. */
export function lpdWorkflow(opts: TrainLpdOptions): TrainWorkflow<LpdRawBatch, TrainLpdResult> {
  const backboneSpec = opts.backbone ?? RANDOM_BACKBONE;
  const variant = opts.variant ?? 'normal';
  const scoring = opts.scoring ?? DEFAULT_LPD_SCORING;
  const base = lpdPreset(opts.preset);
  const n = trainNumbers(opts, { epochs: opts.epochs ?? base.epochs, batchSize: opts.batchSize ?? base.batchSize, lr: opts.lr ?? base.learningRate });
  if (n.batchSize < 2 || n.batchSize % 2 !== 0) throw new MadenetError('E_USAGE', `--batch-size is ${n.batchSize}; expected an even number >= 2 (half normal, half CutPaste).`);
  if (!LPD_VARIANTS.includes(variant)) throw new MadenetError('E_USAGE', `--variant is ${String(variant)}; expected one of ${LPD_VARIANTS.join(', ')}.`);
  if (!LPD_SCORINGS.includes(scoring)) throw new MadenetError('E_USAGE', `--score is ${String(scoring)}; expected one of ${LPD_SCORINGS.join(', ')}.`);
  const overrides = { imageSize: opts.imageSize, epochs: n.epochs, batchSize: n.batchSize, learningRate: n.lr, gdeLayers: opts.gdeLayers };
  lpdPreset(opts.preset, overrides);
  const settings = { ...n, backboneSpec, variant, scoring, base, overrides };
  return { kind: LPD_KIND, category: opts.category, out: opts.out, seed: opts.seed, checkpointEvery: n.checkpointEvery, options: opts, open: (ctx) => openLpd(opts, settings, ctx) };
}

interface LpdSettings extends ReturnType<typeof trainNumbers> {
  backboneSpec: string;
  variant: LpdCutPasteVariant;
  scoring: LpdScoring;
  base: LpdConfig;
  overrides: Partial<LpdConfig>;
}

async function openLpd(opts: TrainLpdOptions, s: LpdSettings, ctx: OpenContext): Promise<TrainSession<LpdRawBatch, TrainLpdResult>> {
  let built: LpdModel | null = null;
  const { dataset, plan, train, source } = await splitWithBackbone(opts, s, ctx, () => built && { dispose: () => disposeLpd(built as LpdModel) });
  const cfg: LpdConfig = lpdPreset(opts.preset, { ...s.overrides, backbone: source.arch as LpdConfig['backbone'] });
  const live = buildLpd(cfg, { seed: opts.seed, backbone: source.backbone });
  built = live;
  const sizeCheck = await checkImageSize(train, cfg.imageSize, opts.imageSize !== undefined);
  if (sizeCheck.warning) ctx.warnings.push(sizeCheck.warning);
  const textures = await TextureBank.forRun(opts.textures, cfg.imageSize, opts.seed);
  const gate: GateOptions | false = opts.noGate ? false : { ...DEFAULT_GATE };
  const synth: LpdSynthOptions = { variant: s.variant, gate, jitter: LPD_JITTER };
  const stepsPerEpoch = lpdStepsPerEpoch(train.length, s.batchSize);
  const schedule: CosineSchedule = { baseLr: cfg.learningRate, totalSteps: s.epochs * stepsPerEpoch };
  const fingerprint = datasetFingerprint(train);
  const config = {
    backbone: cfg.backbone,
    model: cfg,
    scoring: s.scoring,
    training: {
      epochs: s.epochs,
      batchSize: s.batchSize,
      stepsPerEpoch,
      optimizer: 'sgd-momentum',
      momentum: cfg.momentum,
      weightDecay: cfg.weightDecay,
      schedule: { kind: 'cosine', ...schedule },
      cutPaste: { variant: s.variant, gate, jitter: LPD_JITTER },
      backbone: s.backboneSpec,
    },
    validation: { valFraction: s.valFraction, seed: opts.seed, source: plan.source, lambda: VALIDATION_LAMBDA, textures: textures.source },
    data: { root: dataset.root, category: opts.category, trainImages: train.length, fingerprint, tiling: tilingRecord(opts.tile, dataset.tiling), imageSize: sizeCheck.record },
  };
  const artifactConfig: LpdArtifactConfig & typeof config = config;
  const vars = lpdTrainableVariables(live);
  const opt = new LpdSgd(cfg.learningRate, cfg.momentum);
  ctx.defer(() => opt.dispose());
  const stats = emptyCutPasteStats();
  const session = lpdLoop(opts, s, { live, cfg, train, plan, textures }, gate, stats);
  return {
    config: artifactConfig,
    fingerprint,
    models: { model: live.model },
    optimizer: opt,
    loop: {
      epochs: s.epochs,
      stepsPerEpoch,
      batches: (epoch) => lpdEpochBatches(train, { seed: opts.seed, epoch, size: cfg.imageSize, batchSize: s.batchSize, stepsPerEpoch }),
      batchSize: (b) => 2 * b.items.length,
      lr: (step) => cosineLr(schedule, step),
      step: async (raw, stepCtx) => {
        const batch = synthesizeLpdBatch(raw, synth, stats);
        try {
          opt.setRate(stepCtx.lr);
          const r = await lpdTrainStep(live, opt, vars, batch.images, batch.labels, cfg.weightDecay);
          return { loss: r.loss, patchedTerm: r.patchedTerm, normalTerm: r.normalTerm, accuracy: r.accuracy };
        } finally {
          tf.dispose([batch.images, batch.labels]);
        }
      },
    },
    ...session,
    finish: (best, state) => session.finish(best, state, source),
  };
}

interface LpdRun {
  live: LpdModel;
  cfg: LpdConfig;
  train: Parameters<typeof fitGdeOnNormals>[1];
  plan: ValidationPlan;
  textures: TextureBank;
}

/** Validation with a freshly fitted GDE, the best epoch's GDE, and the artifact (network, GDE, threshold). */
function lpdLoop(opts: TrainLpdOptions, s: LpdSettings, r: LpdRun, gate: GateOptions | false, stats: CutPasteStats) {
  const { live, cfg, train, plan, textures } = r;
  const gdeBatch = Math.max(s.batchSize, 8);
  // The best epoch's GDE is not checkpointed (see finish).
  let bestGde: GdeState | null = null;
  let lastGde: GdeState | null = null;
  return {
    restored: (step: number) => restoreDropoutCalls(live.model, step),
    validate: async () => {
      // The detector that would be saved: this epoch's weights with a GDE fitted on the train normals.
      lastGde = await fitGdeOnNormals(live.extractor, train, cfg, { batchSize: gdeBatch });
      const detector = lpdDetector(live.model, lastGde, cfg, { category: opts.category, artifactDir: null, ownsModel: false, scoring: s.scoring });
      return validateDetector(detector, plan, { textures, batchSize: gdeBatch });
    },
    onBest: () => {
      bestGde = lastGde;
    },
    finish: async (best: { evaluation: CandidateEvaluation }, state: LoopState, source: BackboneSource) => {
      const { evaluation } = best;
      // A resumed run did not see the best epoch's GDE; refitting on the same weights and images gives the same one.
      const gde = (bestGde as GdeState | null) ?? (await fitGdeOnNormals(live.extractor, train, cfg, { batchSize: gdeBatch }));
      const metrics: LpdMetrics = bestEpochMetrics(evaluation, state);
      const parent = source.origin.kind === 'random' ? null : source.origin.ref;
      return {
        validation: metrics,
        metrics: { cutPaste: stats },
        files: {
          [LPD_GDE_FILE]: gdeFile(gde),
          'thresholds.json': thresholdsFile(evaluation, { scoring: s.scoring }),
        },
        parents: parent ? [parent] : [],
        result: (artifact: { dir: string; version: number }, fields: TrainingRunFields): TrainLpdResult => ({
          artifact,
          category: opts.category,
          preset: opts.preset,
          imageSize: cfg.imageSize,
          backbone: s.backboneSpec,
          backboneParent: parent,
          scoring: s.scoring,
          metrics,
          validation: { source: plan.source, normals: evaluation.normals, defects: evaluation.defects },
          cutPaste: { ...stats, variant: s.variant, gate: gate !== false },
          gde: { images: gde.count, height: gde.height, width: gde.width, dim: gde.dim },
          trainImages: train.length,
          ...fields,
        }),
      };
    },
  };
}
