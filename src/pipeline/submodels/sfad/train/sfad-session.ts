// SFAD's part of the generic training workflow (train/workflow.ts): backbone source, the fixed projection's width,
// frozen features banked (and standardised) once, Gaussian feature noise as the anomalies, grouped Adam with
// cosine decay, and an artifact whose adaptor takes raw features (the standardisation folded in).
import * as tf from '@tensorflow/tfjs';
import { resolve } from 'node:path';
import { sfadPreset, type SfadConfig, type SfadPresetName } from '../model/config.js';
import { buildSfad, buildSfadAdaptor, disposeSfad, sfadFeatures as sfadFeatureMaps, type SfadModel } from '../model/model.js';
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
import { DEFAULT_FEATURE_BUDGET, featureBank, featureBytes, sampledFeatureStats, sfadEpochBatches, sfadStepsPerEpoch, type SfadBatch } from './sfad-batches.js';
import { sfadOptimizer, sfadTrainStep } from './sfad-step.js';
import { RANDOM_BACKBONE } from '../../../weights/backbone-source.js';
import { defaultLayersOf, isNpmBackbone, loadFrozenBackbone, type BackboneProvenance, type FrozenBackbone } from '../../../weights/backbone-registry.js';
import { extractorKey, FeatureCache } from '../../../features/feature-cache.js';
import { memoizeFrozen } from '../../../features/frozen-memo.js';
import { chooseFeatureEngine, onnxSfadFeatures, type FeatureEngineChoice } from '../../../features/onnx-features.js';
import { resolveFeatureLayer } from '../../../../models/components/feature-extractor.js';
import { checkImageSize } from '../../../train/image-size-check.js';
import { tilingRecord } from '../../../io/tiles.js';

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
  /**
   * 'random', a backbone artifact (`weights import`), an LPD artifact (its self-supervised backbone) or a packaged
   * network (`npm:nsfwjs/mobilenet_v2`, see `madenet weights list`; its default layers unless `layers` is given).
   */
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
  /**
   * Memory for frozen features kept across epochs (default 768 MiB): first the training images' bank (beyond it
   * their features are recomputed per batch), then, in what is left, the validation images' features. 0 keeps
   * none: every epoch runs the backbone on every image (how SFAD trained before the bank).
   */
  featureBudgetBytes?: number;
  /** Folder of the content-addressed on-disk feature cache for the training images (null/undefined: none). */
  featureCache?: string | null;
  featureCacheMb?: number;
  /**
   * What computes the training images' bank: `onnx` (onnxruntime-node, CPU: 3.8-4.7x the images per CPU second of
   * tfjs wasm measured here), `tfjs`, or `auto` (default: onnx when the tfjs backend is wasm or cpu and
   * onnxruntime-node loads and converts the extractor, tfjs otherwise).
   */
  featureEngine?: 'auto' | 'onnx' | 'tfjs';
}

/** Default size limit of the on-disk feature cache (as train-patchcore's). */
export const SFAD_FEATURE_CACHE_MB = 2048;

/**
 * train-sfad's --backbone default: the MobileNetV2 the nsfwjs package ships (no download). Measured against the
 * random ResNet-18 (bench/results/sfad-backbones.md, small preset): MPDD metal_plate image AUROC 0.996 vs 0.788,
 * MVTec transistor 0.809 vs 0.801. This service's own default stays random (internal callers name theirs).
 */
export const SFAD_DEFAULT_BACKBONE = 'npm:nsfwjs/mobilenet_v2';

/**
 * Image size a packaged network gets when none is asked for, unless the preset's is larger (paper: 288): its
 * stride-8 layer then gives a 32 x 32 grid, the size those measurements were made at (16 x 16 at small's 128 px).
 */
export const SFAD_PACKAGED_IMAGE_SIZE = 256;

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
  /** Where the frozen weights came from (package, version and licence for packaged networks); also in the manifest. */
  provenance: BackboneProvenance;
  /** On-disk cache use for the training features (null without --feature-cache). */
  featureCache: { dir: string; hits: number; misses: number; evicted: number } | null;
  /** Validation images whose features were read from memory instead of the backbone (over all epochs), and recomputed. */
  validationFeatures: { hits: number; misses: number; bytes: number };
  /** The engine that computed the bank (tfjs or onnx), and why auto did not take onnx (null when it did or was not asked). */
  featureEngine: { used: 'tfjs' | 'onnx'; reason: string | null };
}

/** Checks the options (before the possibly long backbone load and dataset scan) and returns the run for runTraining. */
export function sfadWorkflow(opts: TrainSfadOptions): TrainWorkflow<SfadBatch, TrainSfadResult> {
  const backboneSpec = opts.backbone ?? RANDOM_BACKBONE;
  const packaged = isNpmBackbone(backboneSpec);
  const base = sfadPreset(opts.preset);
  const n = trainNumbers(opts, { epochs: opts.epochs ?? base.epochs, batchSize: opts.batchSize ?? base.batchSize, lr: opts.lr ?? base.lrDiscriminator });
  const overrides = {
    imageSize: opts.imageSize ?? (packaged && base.imageSize < SFAD_PACKAGED_IMAGE_SIZE ? SFAD_PACKAGED_IMAGE_SIZE : undefined),
    // A packaged network has its own layer names; its recorded defaults unless --layers names others.
    layers: opts.layers ?? (packaged ? defaultLayersOf(backboneSpec)?.layers : undefined),
    ...(packaged ? { backbone: backboneSpec as SfadConfig['backbone'] } : {}),
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
  const settings = { ...n, backboneSpec, packaged, base, overrides };
  return { kind: SFAD_KIND, category: opts.category, out: opts.out, seed: opts.seed, checkpointEvery: n.checkpointEvery, options: opts, open: (ctx) => openSfad(opts, settings, ctx) };
}

interface SfadSettings extends ReturnType<typeof trainNumbers> {
  backboneSpec: string;
  packaged: boolean;
  base: SfadConfig;
  overrides: Partial<SfadConfig>;
}

async function openSfad(opts: TrainSfadOptions, s: SfadSettings, ctx: OpenContext): Promise<TrainSession<SfadBatch, TrainSfadResult>> {
  let built: SfadModel | null = null;
  const { dataset, plan, train, source } = await splitWithBackbone(
    opts,
    s,
    ctx,
    () => built && { dispose: () => disposeSfad(built as SfadModel) },
    (spec, req) => loadFrozenBackbone(spec, { ...req, layers: s.overrides.layers ?? s.base.layers }),
  );
  const cfg = projectionConfig(opts, s, source, ctx.warnings);
  const live = buildSfad(cfg, { seed: opts.seed, ...(source.extractor ? { extractor: source.extractor } : { backbone: source.backbone }) });
  built = live;
  const sizeCheck = await checkImageSize(train, cfg.imageSize, opts.imageSize !== undefined);
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
    // Package, version and licence of a packaged network (as train-patchcore records it), or the artifact / seed.
    backboneSource: source.provenance,
    validation: { valFraction: s.valFraction, seed: opts.seed, source: plan.source, lambda: VALIDATION_LAMBDA, textures: textures.source },
    data: { root: dataset.root, category: opts.category, trainImages: train.length, fingerprint, tiling: tilingRecord(opts.tile, dataset.tiling), imageSize: sizeCheck.record },
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
function projectionConfig(opts: TrainSfadOptions, s: SfadSettings, source: FrozenBackbone, warnings: string[]): SfadConfig {
  const asked: SfadConfig = sfadPreset(opts.preset, { ...s.overrides, backbone: source.arch as SfadConfig['backbone'] });
  const channels = featureChannels(source.extractor ?? source.backbone, asked.layers);
  if (asked.featureDim <= channels) return asked;
  // A packaged network's default layers have fewer channels than the presets' D by design (MobileNetV2: 128):
  // capping is then the plan, not a surprise, unless --feature-dim asked for more.
  if (!(s.packaged && opts.featureDim === undefined)) {
    warnings.push(
      `Feature dim ${asked.featureDim} exceeds the ${channels} channels of ${asked.layers.join(' + ')} in ${asked.backbone}; using ${channels} (a larger projection only repeats channels).`,
    );
  }
  return sfadPreset(opts.preset, { ...s.overrides, backbone: asked.backbone, featureDim: channels });
}

interface SfadRun {
  live: SfadModel;
  cfg: SfadConfig;
  train: Sample[];
  plan: ValidationPlan;
  textures: TextureBank;
  source: FrozenBackbone;
}

/** What sfadFeatures' prepare() builds and validate()/finish() read. */
interface SfadFeatureState {
  bank: Awaited<ReturnType<typeof featureBank>>;
  stats: ReturnType<typeof statsFromMoments> | null;
  spread: number | null;
  /** The adaptor with the standardisation folded in (null without standardisation). */
  folded: tf.LayersModel | null;
  detector: ReturnType<typeof sfadDetector> | null;
  cache: FeatureCache | null;
  engine: { used: 'tfjs' | 'onnx'; reason: string | null };
  validationMemo: ReturnType<typeof memoizeFrozen> | null;
}

/** The banked features and their standardisation, the detector validated each epoch, and the artifact. */
function sfadFeatures(opts: TrainSfadOptions, s: SfadSettings, r: SfadRun, ctx: OpenContext) {
  const st: SfadFeatureState = { bank: null, stats: null, spread: null, folded: null, detector: null, cache: null, engine: { used: 'tfjs', reason: null }, validationMemo: null };
  ctx.defer(() => st.folded?.dispose());
  const refold = (): void => {
    if (st.folded && st.stats) foldStandardization(r.live.adaptor, st.folded, st.stats);
  };
  return {
    bank: () => st.bank,
    stats: () => st.stats,
    prepare: () => prepareSfadFeatures(opts, s, r, ctx, st),
    validate: async () => {
      refold();
      return validateDetector(st.detector as ReturnType<typeof sfadDetector>, r.plan, { textures: r.textures, batchSize: Math.max(s.batchSize, 8) });
    },
    finish: async (best: { weights: Record<string, tf.io.ModelArtifacts>; evaluation: CandidateEvaluation }, state: LoopState): Promise<TrainOutput<TrainSfadResult>> => {
      // The artifact's adaptor takes raw features: fold the best epoch's weights.
      refold();
      return sfadOutput(opts, r, st, best, state);
    },
  };
}

/** Banks the train features (within the budget), their standardisation, and the detector validation uses. */
async function prepareSfadFeatures(opts: TrainSfadOptions, s: SfadSettings, r: SfadRun, ctx: OpenContext, st: SfadFeatureState): Promise<void> {
  const { live, cfg, train, source } = r;
  const budget = opts.featureBudgetBytes ?? DEFAULT_FEATURE_BUDGET;
  st.cache = opts.featureCache ? await FeatureCache.open(resolve(opts.featureCache), (opts.featureCacheMb ?? SFAD_FEATURE_CACHE_MB) * 2 ** 20) : null;
  const cache = st.cache;
  const eng = train.length * featureBytes(cfg) <= budget ? await bankEngine(opts.featureEngine ?? 'auto', live.extractor, cfg, ctx.runtime) : { onnx: null, used: 'tfjs' as const, reason: 'features not banked' };
  st.engine = { used: eng.used, reason: eng.reason };
  // Everything that changes the bank's raw features (standardisation happens after, in memory); the engine too,
  // since onnxruntime's kernels round differently from tfjs's (|difference| ~1e-5 of the features' range).
  const cacheKey = extractorKey({ kind: SFAD_KIND, provenance: source.provenance, layers: cfg.layers, size: cfg.imageSize, patchSize: cfg.patchSize, featureDim: cfg.featureDim, ...(eng.used === 'onnx' ? { engine: 'onnx' } : {}) });
  st.bank = await featureBank(live.extractor, train, cfg, { batchSize: Math.max(s.batchSize, 8), budgetBytes: budget, cache: cache ? { store: cache, extractorKey: cacheKey } : null, onnx: eng.onnx }).finally(() => eng.onnx?.dispose());
  const bank = st.bank;
  const cacheWarning = cache?.writeWarning();
  if (cacheWarning) ctx.warnings.push(cacheWarning);
  if (!bank) ctx.warnings.push(`The features of ${train.length} images exceed the feature budget; they are recomputed every epoch.`);
  // One pass over the bank gives both the reported spread and the standardisation statistics.
  const moments = bank ? channelMoments(bank, cfg.featureDim) : null;
  st.spread = moments ? meanSpread(moments) : null;
  st.stats = !cfg.standardize ? null : moments ? statsFromMoments(moments) : await sampledFeatureStats(live.extractor, train, cfg, Math.max(s.batchSize, 8));
  if (st.stats && bank) standardizeRows(bank, st.stats);
  if (!st.stats && st.spread !== null && cfg.noiseStd < NOISE_WARN_RATIO * st.spread) {
    const spread = st.spread;
    ctx.warnings.push(
      `--noise-std ${cfg.noiseStd} is ${((100 * cfg.noiseStd) / spread).toFixed(1)}% of the features' spread (${spread.toPrecision(3)}); the discriminator may not learn to tell noisy features apart. Try --noise-std ${(0.4 * spread).toPrecision(2)} or a larger --lr.`,
    );
  }
  // With standardisation the live adaptor expects standardised features; validation and the artifact use this
  // copy with the statistics folded in, so the detector sees raw features like every other SFAD.
  if (st.stats) st.folded = buildSfadAdaptor(cfg.featureDim, null);
  // The validation images are the same every epoch (held-out normals, seeded synthetic defects) and the backbone is
  // frozen: their features are computed in the first epoch and read back after, in what the bank left of the budget.
  st.validationMemo = memoizeFrozen((x) => sfadFeatureMaps(live.extractor, x, cfg), Math.max(0, budget - (bank ? train.length * featureBytes(cfg) : 0)));
  st.detector = sfadDetector({ ...live, adaptor: st.folded ?? live.adaptor }, cfg, { category: opts.category, artifactDir: null, ownsModels: false, features: st.validationMemo });
}

/** The best epoch's models (adaptor with the standardisation folded in), metrics and result. */
async function sfadOutput(
  opts: TrainSfadOptions,
  r: SfadRun,
  st: SfadFeatureState,
  best: { weights: Record<string, tf.io.ModelArtifacts>; evaluation: CandidateEvaluation },
  state: LoopState,
): Promise<TrainOutput<TrainSfadResult>> {
  const { live, cfg, train, plan, source } = r;
  const { folded, cache, validationMemo, spread } = st;
  const metrics: SfadMetrics = bestEpochMetrics(best.evaluation, state);
  const parent = source.parent;
  const models = {
    extractor: await modelArtifactsOf(live.extractor),
    adaptor: folded ? await modelArtifactsOf(folded) : (best.weights.adaptor as tf.io.ModelArtifacts),
    discriminator: best.weights.discriminator as tf.io.ModelArtifacts,
  };
  const banked = st.bank !== null;
  return {
    validation: metrics,
    metrics: { featureSpread: spread },
    models,
    files: { 'thresholds.json': thresholdsFile(best.evaluation) },
    parents: parent ? [parent] : [],
    result: (artifact, fields) =>
      sfadResult(opts, {
        artifact,
        fields,
        cfg,
        source,
        parent,
        metrics,
        plan,
        evaluation: best.evaluation,
        train,
        banked,
        spread,
        featureCache: cache ? { dir: cache.dir, hits: cache.stats.hits, misses: cache.stats.misses, evicted: cache.stats.evicted } : null,
        validationFeatures: validationMemo ? { ...validationMemo.stats } : { hits: 0, misses: 0, bytes: 0 },
        featureEngine: st.engine,
      }),
  };
}

function sfadResult(
  opts: TrainSfadOptions,
  r: {
    artifact: { dir: string; version: number };
    fields: TrainingRunFields;
    cfg: SfadConfig;
    source: FrozenBackbone;
    parent: TrainSfadResult['backboneParent'];
    metrics: SfadMetrics;
    plan: ValidationPlan;
    evaluation: CandidateEvaluation;
    train: Sample[];
    banked: boolean;
    spread: number | null;
    featureCache: TrainSfadResult['featureCache'];
    validationFeatures: TrainSfadResult['validationFeatures'];
    featureEngine: TrainSfadResult['featureEngine'];
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
    provenance: r.source.provenance,
    featureCache: r.featureCache,
    validationFeatures: r.validationFeatures,
    featureEngine: r.featureEngine,
    ...provenance,
  };
}

/** The onnxruntime feature pass when asked for (onnx) or when auto finds it usable on a CPU tfjs backend; else tfjs with the reason. */
function bankEngine(choice: FeatureEngineChoice, extractor: tf.LayersModel, cfg: SfadConfig, runtime: { backend: string; threads: number }) {
  return chooseFeatureEngine(choice, runtime, () => onnxSfadFeatures(extractor, cfg, runtime.threads));
}

/** Channels of the chosen backbone maps together (what the fixed projection to D starts from). */
function featureChannels(backbone: tf.LayersModel, layers: readonly string[]): number {
  return layers.reduce((n, l) => n + Number((resolveFeatureLayer(backbone, l).output as tf.SymbolicTensor).shape[3]), 0);
}
