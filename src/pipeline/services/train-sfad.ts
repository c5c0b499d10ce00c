// `madenet train-sfad`: trains SFAD's adaptor and discriminator on frozen-backbone features of one category's
// train normals (Gaussian feature noise as the anomalies), validates each epoch as build-perfmap would (never
// on the test split), checkpoints for an exact --resume and saves the best epoch as <out>/sfad/<category>/vNNNN.
import * as tf from '@tensorflow/tfjs';
import { resolve } from 'node:path';
import { sfadPreset, type SfadConfig, type SfadPresetName } from '../../models/sfad/config.js';
import { buildSfad, buildSfadAdaptor, disposeSfad, sfadTrainableVariables, type SfadModel } from '../../models/sfad/model.js';
import { channelMoments, foldStandardization, meanSpread, standardizeRows, statsFromMoments } from '../../models/sfad/standardize.js';
import { modelArtifactsOf, writeArtifact } from '../artifacts/index.js';
import { SFAD_KIND, sfadDetector, type SfadArtifactConfig } from '../detectors/sfad.js';
import { tileDataset, tilingRecord } from '../io/tiles.js';
import { datasetFingerprint, loadDataset } from '../io/dataset.js';
import type { CandidateEvaluation } from '../perfmap/evaluate-candidates.js';
import { planValidation } from '../perfmap/validation-set.js';
import { hashSeed } from '../core/random.js';
import { TextureBank } from '../synth/texture-bank.js';
import { BestEpoch, type BestEpochExtra } from '../train/train-best-epoch.js';
import { setWeightsFromArtifacts } from '../train/train-checkpoint.js';
import { cosineLr, type CosineSchedule } from '../train/train-cosine.js';
import { bestEpochMetrics, thresholdsFile, validateDetector, VALIDATION_LAMBDA, type DetectorTrainingMetrics } from '../train/train-detector-validation.js';
import { GroupedAdam } from '../train/train-grouped-adam.js';
import { checkTrainNumbers, DEFAULT_CHECKPOINT_EVERY, DEFAULT_VAL_FRACTION } from '../train/train-options.js';
import { setAdamRate, startRuntime, TrainingRun } from '../train/train-run.js';
import type { TrainingRunOptions, TrainingRunResult } from '../train/train-run-types.js';
import { featureBank, sampledFeatureStats, sfadEpochBatches, sfadStepsPerEpoch } from '../train/sfad/sfad-batches.js';
import { sfadTrainStep } from '../train/sfad/sfad-step.js';
import { loadBackbone, RANDOM_BACKBONE } from '../weights/backbone-source.js';
import { resolveFeatureLayer } from '../../models/components/feature-extractor.js';
import { trainNormalsOutside } from '../train/train-split.js';
import { checkImageSize } from '../train/image-size-check.js';

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

type SfadCheckpointExtra = BestEpochExtra<CandidateEvaluation>;

export async function trainSfad(opts: TrainSfadOptions): Promise<TrainSfadResult> {
  const started = performance.now();
  const valFraction = opts.valFraction ?? DEFAULT_VAL_FRACTION;
  const checkpointEvery = opts.checkpointEvery ?? DEFAULT_CHECKPOINT_EVERY;
  const backboneSpec = opts.backbone ?? RANDOM_BACKBONE;
  const base = sfadPreset(opts.preset);
  const epochs = opts.epochs ?? base.epochs;
  const batchSize = opts.batchSize ?? base.batchSize;
  const lr = opts.lr ?? base.lrDiscriminator;
  checkTrainNumbers({ epochs, batchSize, lr, valFraction, checkpointEvery });
  // Checked before the (possibly long) backbone load and dataset scan.
  const overrides = {
    imageSize: opts.imageSize,
    layers: opts.layers,
    featureDim: opts.featureDim,
    noiseStd: opts.noiseStd,
    standardize: opts.standardize,
    discriminatorHidden: opts.hidden,
    epochs,
    batchSize,
    lrDiscriminator: lr,
    lrAdaptor: (lr * base.lrAdaptor) / base.lrDiscriminator,
  };
  sfadPreset(opts.preset, overrides);
  const runtime = await startRuntime(opts);
  const warnings: string[] = [];

  const dataset = await tileDataset(await loadDataset(opts.data, { categories: [opts.category] }), opts.category, opts.tile, opts.seed);
  const plan = planValidation(dataset, opts.category, { valFraction, seed: opts.seed });
  const train = trainNormalsOutside(dataset, opts.category, plan, valFraction, opts.seed);

  const source = await loadBackbone(backboneSpec, { arch: base.backbone, seed: opts.seed, inputSize: overrides.imageSize ?? base.imageSize });
  let model: SfadModel | null = null;
  let optimizer: tf.Optimizer | null = null;
  let folded: tf.LayersModel | null = null;
  // The run holds its checkpoint series' lock from restore() on; released whatever happens.
  let runLock: { dispose(): Promise<void> } | null = null;
  try {
    const asked: SfadConfig = sfadPreset(opts.preset, { ...overrides, backbone: source.arch as SfadConfig['backbone'] });
    const channels = featureChannels(source.backbone, asked.layers);
    // A fixed projection to more channels than the layers have only repeats channels: q = adaptor(f) then spans a
    // subspace of rank `channels`, and the discriminator learns to spot noise leaving that subspace instead of
    // learning what normal features look like (measured: an LPD tiny backbone, 96 channels, at D = 384).
    const cfg: SfadConfig = asked.featureDim > channels ? sfadPreset(opts.preset, { ...overrides, backbone: asked.backbone, featureDim: channels }) : asked;
    if (cfg !== asked) {
      warnings.push(
        `Feature dim ${asked.featureDim} exceeds the ${channels} channels of ${asked.layers.join(' + ')} in ${asked.backbone}; using ${channels} (a larger projection only repeats channels).`,
      );
    }
    model = buildSfad(cfg, { seed: opts.seed, backbone: source.backbone });
    const live = model;
    const parent = source.origin.kind === 'random' ? null : source.origin.ref;
    const sizeCheck = await checkImageSize(train, cfg.imageSize, opts.imageSize !== undefined);
    if (sizeCheck.warning) warnings.push(sizeCheck.warning);
    const textures = await TextureBank.forRun(opts.textures, cfg.imageSize, opts.seed);
    const stepsPerEpoch = sfadStepsPerEpoch(train.length, batchSize);
    const totalSteps = epochs * stepsPerEpoch;
    const schedule: CosineSchedule = { baseLr: cfg.lrDiscriminator, totalSteps, minLr: cfg.lrDiscriminator * SFAD_MIN_LR_FRACTION };
    const fingerprint = datasetFingerprint(train);
    const out = resolve(opts.out);
    const runConfig = {
      model: cfg,
      training: {
        epochs,
        batchSize,
        stepsPerEpoch,
        optimizer: 'adam',
        lrAdaptor: cfg.lrAdaptor,
        lrDiscriminator: cfg.lrDiscriminator,
        weightDecay: cfg.weightDecay,
        schedule: { kind: 'cosine', ...schedule },
        backbone: backboneSpec,
        backboneArch: source.arch,
      },
      validation: { valFraction, seed: opts.seed, source: plan.source, lambda: VALIDATION_LAMBDA, textures: textures.source },
      data: { root: dataset.root, category: opts.category, trainImages: train.length, fingerprint, tiling: tilingRecord(opts.tile, dataset.tiling), imageSize: sizeCheck.record },
    };
    const target = { root: out, kind: SFAD_KIND, category: opts.category, config: runConfig, seed: opts.seed, runtime };

    const vars = sfadTrainableVariables(live);
    const opt = new GroupedAdam(cfg.lrDiscriminator, [
      { variables: vars.adaptor, lrScale: cfg.lrAdaptor / cfg.lrDiscriminator },
      { variables: vars.discriminator, lrScale: 1, weightDecay: cfg.weightDecay },
    ]);
    optimizer = opt;
    const varList = [...vars.adaptor, ...vars.discriminator];
    const named = { adaptor: live.adaptor, discriminator: live.discriminator };
    const run = new TrainingRun<SfadCheckpointExtra>(target, { models: named, optimizer: opt, checkpointEvery, started, warnings, options: opts });
    runLock = run;

    const best = new BestEpoch<CandidateEvaluation>();
    await run.restore(opts.resume, best);

    const bank = await featureBank(live.extractor, train, cfg, { batchSize: Math.max(batchSize, 8), budgetBytes: opts.featureBudgetBytes });
    if (!bank) warnings.push(`The features of ${train.length} images exceed the feature budget; they are recomputed every epoch.`);
    // One pass over the bank gives both the reported spread and the standardisation statistics.
    const moments = bank ? channelMoments(bank, cfg.featureDim) : null;
    const spread = moments ? meanSpread(moments) : null;
    const stats = !cfg.standardize ? null : moments ? statsFromMoments(moments) : await sampledFeatureStats(live.extractor, train, cfg, Math.max(batchSize, 8));
    if (stats && bank) standardizeRows(bank, stats);
    if (!stats && spread !== null && cfg.noiseStd < NOISE_WARN_RATIO * spread) {
      warnings.push(
        `--noise-std ${cfg.noiseStd} is ${((100 * cfg.noiseStd) / spread).toFixed(1)}% of the features' spread (${spread.toPrecision(3)}); the discriminator may not learn to tell noisy features apart. Try --noise-std ${(0.4 * spread).toPrecision(2)} or a larger --lr.`,
      );
    }
    // With standardisation the live adaptor expects standardised features; validation and the artifact use this
    // copy with the statistics folded in, so the detector sees raw features like every other SFAD.
    if (stats) folded = buildSfadAdaptor(cfg.featureDim, null);
    const refold = (): void => {
      if (folded && stats) foldStandardization(live.adaptor, folded, stats);
    };
    const detector = sfadDetector({ ...live, adaptor: folded ?? live.adaptor }, cfg, { category: opts.category, artifactDir: null, ownsModels: false });
    const state = await run.loop({
      epochs,
      stepsPerEpoch,
      batches: (epoch) => sfadEpochBatches(train, { seed: opts.seed, epoch, batchSize, stepsPerEpoch, cfg, extractor: live.extractor, bank, stats }),
      batchSize: (b) => b.size,
      lr: (step) => cosineLr(schedule, step),
      step: async (batch, ctx) => {
        const features = batch.features();
        try {
          setAdamRate(opt, ctx.lr);
          const r = await sfadTrainStep(live, opt, varList, cfg, features, hashSeed(`sfad-step:${ctx.step}`, opts.seed));
          return { loss: r.loss, trueLoss: r.trueLoss, fakeLoss: r.fakeLoss };
        } finally {
          features.dispose();
        }
      },
      validate: async () => {
        refold();
        const v = await validateDetector(detector, plan, { textures, batchSize: Math.max(batchSize, 8) });
        best.measured(v.evaluation);
        return v.validation;
      },
      onBest: () => best.keep(named),
      checkpoint: () => best.checkpoint(),
    });

    const { weights, evaluation: bestEval } = best.chosen('Training');
    setWeightsFromArtifacts(live.adaptor, weights.adaptor as tf.io.ModelArtifacts, 'best adaptor snapshot');
    setWeightsFromArtifacts(live.discriminator, weights.discriminator as tf.io.ModelArtifacts, 'best discriminator snapshot');
    // The artifact's adaptor takes raw features: fold the best epoch's weights.
    refold();

    const metrics: SfadMetrics = bestEpochMetrics(bestEval, state);
    const artifactConfig: SfadArtifactConfig & typeof runConfig = runConfig;
    const ref = await writeArtifact({
      // --resume of a finished run gives the same bytes again: keep the version it made, write no copy.
      reuseIdentical: opts.resume === true,
      root: out,
      kind: SFAD_KIND,
      category: opts.category,
      config: artifactConfig,
      seed: opts.seed,
      datasetFingerprint: fingerprint,
      runtime,
      metrics: { validation: metrics, epochs: state.epoch, steps: state.step, history: state.history, featureSpread: spread },
      parents: parent ? [parent] : [],
      models: {
        extractor: await modelArtifactsOf(live.extractor),
        adaptor: folded ? await modelArtifactsOf(folded) : (weights.adaptor as tf.io.ModelArtifacts),
        discriminator: weights.discriminator as tf.io.ModelArtifacts,
      },
      files: {
        'thresholds.json': thresholdsFile(bestEval),
      },
    });

    // Split so that --json keeps featuresBanked/featureSpread between the timing and the checkpoint fields.
    const { epochs: history, steps, seconds, imagesPerSecond, ...provenance } = run.resultFields(state);
    return {
      artifact: { dir: ref.dir, version: ref.version },
      category: opts.category,
      preset: opts.preset,
      imageSize: cfg.imageSize,
      backbone: backboneSpec,
      backboneArch: source.arch,
      backboneParent: parent,
      metrics,
      validation: { source: plan.source, normals: bestEval.normals, defects: bestEval.defects },
      trainImages: train.length,
      epochs: history,
      steps,
      seconds,
      imagesPerSecond,
      featuresBanked: bank !== null,
      featureSpread: spread,
      ...provenance,
    };
  } finally {
    await runLock?.dispose();
    folded?.dispose();
    optimizer?.dispose();
    if (model) disposeSfad(model);
    else source.backbone.dispose();
  }
}

/** Channels of the chosen backbone maps together (what the fixed projection to D starts from). */
function featureChannels(backbone: tf.LayersModel, layers: readonly string[]): number {
  return layers.reduce((n, l) => n + Number((resolveFeatureLayer(backbone, l).output as tf.SymbolicTensor).shape[3]), 0);
}
