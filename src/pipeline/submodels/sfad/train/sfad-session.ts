// SFAD's part of the generic training workflow (train/workflow.ts): backbone source, the fixed projection's width,
// frozen features banked (and standardised) once, Gaussian feature noise as the anomalies, grouped Adam with
// cosine decay, and an artifact whose adaptor takes raw features (the standardisation folded in).
import * as tf from '@tensorflow/tfjs';
import { sfadPreset, type SfadConfig, type SfadPresetName } from '../model/config.js';
import { buildSfad, buildSfadAdaptor, disposeSfad, type SfadModel } from '../model/model.js';
import { channelMoments, foldStandardization, meanSpread, standardizeRows, statsFromMoments } from '../model/standardize.js';
import { modelArtifactsOf } from '../../../artifacts/index.js';
import { SFAD_KIND, sfadDetector, type SfadArtifactConfig } from '../detector.js';
import { datasetFingerprint, type Sample } from '../../../io/dataset.js';
import type { CandidateEvaluation } from '../../../perfmap/evaluate-candidates.js';
import type { ValidationPlan } from '../../../perfmap/validation-set.js';
import { hashSeed } from '../../../core/random.js';
import { TextureBank } from '../../../synth/texture-bank.js';
import type { LoopState } from '../../../train/loop.js';
import { cosineLr, type CosineSchedule } from '../../../train/train-cosine.js';
import { bestEpochMetrics, thresholdsFile, validateDetector, VALIDATION_LAMBDA, type DetectorTrainingMetrics } from '../../../train/train-detector-validation.js';
import { setAdamRate } from '../../../train/train-run.js';
import type { TrainingRunFields, TrainingRunOptions, TrainingRunResult } from '../../../train/train-run-types.js';
import { splitWithBackbone } from '../../../train/backbone-run.js';
import { trainNumbers, type OpenContext, type TrainOutput, type TrainSession, type TrainWorkflow } from '../../../train/workflow.js';
import { featureBank, sampledFeatureStats, sfadEpochBatches, sfadStepsPerEpoch, type SfadBatch } from './sfad-batches.js';
import { sfadOptimizer, sfadTrainStep } from './sfad-step.js';
import { RANDOM_BACKBONE, type BackboneSource } from '../../../weights/backbone-source.js';
import { resolveFeatureLayer } from '../../../../models/components/feature-extractor.js';
import { checkImageSize } from '../../../train/image-size-check.js';

/** SimpleNet anneals the discriminator's rate to 0.4 x its start (CosineAnnealingLR eta_min). */
const SFAD_MIN_LR_FRACTION = 0.4;
/** Below this share of the features' spread the noise is warned about (measured: SFAD did not learn at 2-6%). */
const NOISE_WARN_RATIO = 0.1;

export interface TrainSfadOptions extends TrainingRunOptions {
  category: string;
  /** Artifact root: <out>/sfad/<category>/vNNNN, checkpoints under <out>/checkpoints/sfad/<category>. */
  out: string;
  preset: SfadPresetName;
  imageSize?: number;
  /** The discriminator's Adam rate (default the preset's 2e-4); the adaptor's keeps the preset's ratio (1/2). */
  lr?: number;
  seed: number;
  /** 'random', a backbone artifact (`weights import`) or an LPD artifact (its self-supervised backbone). */
  backbone?: string;
  layers?: string[];
  featureDim?: number;
  noiseStd?: number;
  /** Standardise the features per channel before the adaptor (default the preset's). */
  standardize?: boolean;
  hidden?: number;
  /** Folder of texture images for the synthetic validation defects; default the built-in procedural set. */
  textures?: string;
  /** Share of train normals held out for validation (default 0.2, at most 64 images, as build-perfmap). */
  valFraction?: number;
  /** Memory for banked backbone features (default 768 MiB); beyond it features are recomputed per batch. */
  featureBudgetBytes?: number;
}

export type SfadMetrics = DetectorTrainingMetrics;

export interface TrainSfadResult extends TrainingRunResult {
  category: string;
  preset: SfadPresetName;
  /** The --backbone value, and the architecture it gave. */
  backbone: string;
  backboneArch: string;
  /** The backbone artifact the weights came from (also in the manifest's parents), or null for random. */
  backboneParent: { kind: string; category: string; version: number; dir: string } | null;
  metrics: SfadMetrics;
  validation: { source: string; normals: number; defects: number };
  trainImages: number;
  /** Whether the frozen features were computed once and kept (see featureBudgetBytes). */
  featuresBanked: boolean;
  /** Mean per-channel std of the training features (null when not banked): the scale --noise-std competes with. */
  featureSpread: number | null;
}

/** Checks the options (before the possibly long backbone load and dataset scan) and returns the run for runTraining. */
export function sfadWorkflow(opts: TrainSfadOptions): TrainWorkflow<SfadBatch, TrainSfadResult> {
  const backboneSpec = opts.backbone ?? RANDOM_BACKBONE;
  const base = sfadPreset(opts.preset);
  const n = trainNumbers(opts, { epochs: opts.epochs ?? base.epochs, batchSize: opts.batchSize ?? base.batchSize, lr: opts.lr ?? base.lrDiscriminator });
  const overrides = {
    imageSize: opts.imageSize,
    layers: opts.layers,
    featureDim: opts.featureDim,
    noiseStd: opts.noiseStd,
    standardize: opts.standardize,
    discriminatorHidden: opts.hidden,
    epochs: n.epochs,
    batchSize: n.batchSize,
    lrDiscriminator: n.lr,
    lrAdaptor: (n.lr * base.lrAdaptor) / base.lrDiscriminator,
  };
  sfadPreset(opts.preset, overrides);
  const settings = { ...n, backboneSpec, base, overrides };
  return { kind: SFAD_KIND, category: opts.category, out: opts.out, seed: opts.seed, checkpointEvery: n.checkpointEvery, options: opts, open: (ctx) => openSfad(opts, settings, ctx) };
}

interface SfadSettings extends ReturnType<typeof trainNumbers> {
  backboneSpec: string;
  base: SfadConfig;
  overrides: Partial<SfadConfig>;
}

async function openSfad(opts: TrainSfadOptions, s: SfadSettings, ctx: OpenContext): Promise<TrainSession<SfadBatch, TrainSfadResult>> {
  let built: SfadModel | null = null;
  const { dataset, plan, train, source } = await splitWithBackbone(opts, s, ctx, () => built && { dispose: () => disposeSfad(built as SfadModel) });
  const cfg = projectionConfig(opts.preset, s, source, ctx.warnings);
  const live = buildSfad(cfg, { seed: opts.seed, backbone: source.backbone });
  built = live;
  const sizeCheck = await checkImageSize(train.map((x) => x.path), cfg.imageSize, opts.imageSize !== undefined);
  if (sizeCheck.warning) ctx.warnings.push(sizeCheck.warning);
  const textures = await TextureBank.forRun(opts.textures, cfg.imageSize, opts.seed);
  const stepsPerEpoch = sfadStepsPerEpoch(train.length, s.batchSize);
  const schedule: CosineSchedule = { baseLr: cfg.lrDiscriminator, totalSteps: s.epochs * stepsPerEpoch, minLr: cfg.lrDiscriminator * SFAD_MIN_LR_FRACTION };
  const fingerprint = datasetFingerprint(train);
  const config = {
    model: cfg,
    training: {
      epochs: s.epochs,
      batchSize: s.batchSize,
      stepsPerEpoch,
      optimizer: 'adam',
      lrAdaptor: cfg.lrAdaptor,
      lrDiscriminator: cfg.lrDiscriminator,
      weightDecay: cfg.weightDecay,
      schedule: { kind: 'cosine', ...schedule },
      backbone: s.backboneSpec,
      backboneArch: source.arch,
    },
    validation: { valFraction: s.valFraction, seed: opts.seed, source: plan.source, lambda: VALIDATION_LAMBDA, textures: textures.source },
    data: { root: dataset.root, category: opts.category, trainImages: train.length, fingerprint, imageSize: sizeCheck.record },
  };
  const artifactConfig: SfadArtifactConfig & typeof config = config;
  const { optimizer: opt, varList } = sfadOptimizer(live, cfg, cfg.lrDiscriminator);
  ctx.defer(() => opt.dispose());
  const features = sfadFeatures(opts, s, { live, cfg, train, plan, textures, source }, ctx);
  return {
    config: artifactConfig,
    fingerprint,
    models: { adaptor: live.adaptor, discriminator: live.discriminator },
    optimizer: opt,
    loop: {
      epochs: s.epochs,
      stepsPerEpoch,
      batches: (epoch) => sfadEpochBatches(train, { seed: opts.seed, epoch, batchSize: s.batchSize, stepsPerEpoch, cfg, extractor: live.extractor, bank: features.bank(), stats: features.stats() }),
      batchSize: (b) => b.size,
      lr: (step) => cosineLr(schedule, step),
      step: async (batch, stepCtx) => {
        const f = batch.features();
        try {
          setAdamRate(opt, stepCtx.lr);
          const r = await sfadTrainStep(live, opt, varList, cfg, f, hashSeed(`sfad-step:${stepCtx.step}`, opts.seed));
          return { loss: r.loss, trueLoss: r.trueLoss, fakeLoss: r.fakeLoss };
        } finally {
          f.dispose();
        }
      },
    },
    beforeLoop: features.prepare,
    validate: features.validate,
    finish: features.finish,
  };
}

/**
 * The preset's config on this backbone. A fixed projection to more channels than the layers have only repeats
 * channels: q = adaptor(f) then spans a subspace of rank `channels`, and the discriminator learns to spot noise
 * leaving that subspace instead of learning what normal features look like (measured: an LPD tiny backbone, 96
 * channels, at D = 384).
 */
function projectionConfig(preset: SfadPresetName, s: SfadSettings, source: BackboneSource, warnings: string[]): SfadConfig {
  const asked: SfadConfig = sfadPreset(preset, { ...s.overrides, backbone: source.arch as SfadConfig['backbone'] });
  const channels = featureChannels(source.backbone, asked.layers);
  if (asked.featureDim <= channels) return asked;
  warnings.push(
    `Feature dim ${asked.featureDim} exceeds the ${channels} channels of ${asked.layers.join(' + ')} in ${asked.backbone}; using ${channels} (a larger projection only repeats channels).`,
  );
  return sfadPreset(preset, { ...s.overrides, backbone: asked.backbone, featureDim: channels });
}

interface SfadRun {
  live: SfadModel;
  cfg: SfadConfig;
  train: Sample[];
  plan: ValidationPlan;
  textures: TextureBank;
  source: BackboneSource;
}

/** The banked features and their standardisation, the detector validated each epoch, and the artifact. */
function sfadFeatures(opts: TrainSfadOptions, s: SfadSettings, r: SfadRun, ctx: OpenContext) {
  const { live, cfg, train, plan, textures, source } = r;
  let bank: Awaited<ReturnType<typeof featureBank>> = null;
  let stats: ReturnType<typeof statsFromMoments> | null = null;
  let spread: number | null = null;
  let folded: tf.LayersModel | null = null;
  ctx.defer(() => folded?.dispose());
  const refold = (): void => {
    if (folded && stats) foldStandardization(live.adaptor, folded, stats);
  };
  let detector: ReturnType<typeof sfadDetector> | null = null;
  return {
    bank: () => bank,
    stats: () => stats,
    prepare: async () => {
      bank = await featureBank(live.extractor, train, cfg, { batchSize: Math.max(s.batchSize, 8), budgetBytes: opts.featureBudgetBytes });
      if (!bank) ctx.warnings.push(`The features of ${train.length} images exceed the feature budget; they are recomputed every epoch.`);
      // One pass over the bank gives both the reported spread and the standardisation statistics.
      const moments = bank ? channelMoments(bank, cfg.featureDim) : null;
      spread = moments ? meanSpread(moments) : null;
      stats = !cfg.standardize ? null : moments ? statsFromMoments(moments) : await sampledFeatureStats(live.extractor, train, cfg, Math.max(s.batchSize, 8));
      if (stats && bank) standardizeRows(bank, stats);
      if (!stats && spread !== null && cfg.noiseStd < NOISE_WARN_RATIO * spread) {
        ctx.warnings.push(
          `--noise-std ${cfg.noiseStd} is ${((100 * cfg.noiseStd) / spread).toFixed(1)}% of the features' spread (${spread.toPrecision(3)}); the discriminator may not learn to tell noisy features apart. Try --noise-std ${(0.4 * spread).toPrecision(2)} or a larger --lr.`,
        );
      }
      // With standardisation the live adaptor expects standardised features; validation and the artifact use this
      // copy with the statistics folded in, so the detector sees raw features like every other SFAD.
      if (stats) folded = buildSfadAdaptor(cfg.featureDim, null);
      detector = sfadDetector({ ...live, adaptor: folded ?? live.adaptor }, cfg, { category: opts.category, artifactDir: null, ownsModels: false });
    },
    validate: async () => {
      refold();
      return validateDetector(detector as ReturnType<typeof sfadDetector>, plan, { textures, batchSize: Math.max(s.batchSize, 8) });
    },
    finish: async (best: { weights: Record<string, tf.io.ModelArtifacts>; evaluation: CandidateEvaluation }, state: LoopState): Promise<TrainOutput<TrainSfadResult>> => {
      // The artifact's adaptor takes raw features: fold the best epoch's weights.
      refold();
      const metrics: SfadMetrics = bestEpochMetrics(best.evaluation, state);
      const parent = source.origin.kind === 'random' ? null : source.origin.ref;
      const models = {
        extractor: await modelArtifactsOf(live.extractor),
        adaptor: folded ? await modelArtifactsOf(folded) : (best.weights.adaptor as tf.io.ModelArtifacts),
        discriminator: best.weights.discriminator as tf.io.ModelArtifacts,
      };
      const banked = bank !== null;
      return {
        validation: metrics,
        metrics: { featureSpread: spread },
        models,
        files: { 'thresholds.json': thresholdsFile(best.evaluation) },
        parents: parent ? [parent] : [],
        result: (artifact, fields) => sfadResult(opts, { artifact, fields, cfg, source, parent, metrics, plan, evaluation: best.evaluation, train, banked, spread }),
      };
    },
  };
}

function sfadResult(
  opts: TrainSfadOptions,
  r: {
    artifact: { dir: string; version: number };
    fields: TrainingRunFields;
    cfg: SfadConfig;
    source: BackboneSource;
    parent: TrainSfadResult['backboneParent'];
    metrics: SfadMetrics;
    plan: ValidationPlan;
    evaluation: CandidateEvaluation;
    train: Sample[];
    banked: boolean;
    spread: number | null;
  },
): TrainSfadResult {
  // Split so that --json keeps featuresBanked/featureSpread between the timing and the checkpoint fields.
  const { epochs: history, steps, seconds, imagesPerSecond, ...provenance } = r.fields;
  return {
    artifact: r.artifact,
    category: opts.category,
    preset: opts.preset,
    imageSize: r.cfg.imageSize,
    backbone: opts.backbone ?? RANDOM_BACKBONE,
    backboneArch: r.source.arch,
    backboneParent: r.parent,
    metrics: r.metrics,
    validation: { source: r.plan.source, normals: r.evaluation.normals, defects: r.evaluation.defects },
    trainImages: r.train.length,
    epochs: history,
    steps,
    seconds,
    imagesPerSecond,
    featuresBanked: r.banked,
    featureSpread: r.spread,
    ...provenance,
  };
}

/** Channels of the chosen backbone maps together (what the fixed projection to D starts from). */
function featureChannels(backbone: tf.LayersModel, layers: readonly string[]): number {
  return layers.reduce((n, l) => n + Number((resolveFeatureLayer(backbone, l).output as tf.SymbolicTensor).shape[3]), 0);
}
