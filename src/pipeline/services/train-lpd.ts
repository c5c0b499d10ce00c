// `madenet train-lpd`: trains LPD (backbone + head) to tell one category's train normals from their CutPaste
// copies (balanced batches, BCE, SGD with cosine decay), fits the localisation GDE on the train normals,
// validates each epoch as build-perfmap would (never on the test split), checkpoints for an exact --resume and
// saves the best epoch, its GDE and its threshold as <out>/lpd/<category>/vNNNN.
import * as tf from '@tensorflow/tfjs';
import { resolve } from 'node:path';
import { lpdPreset, type LpdConfig, type LpdPresetName } from '../../models/lpd/config.js';
import { gdeToTensors, type GdeState } from '../../models/lpd/gde.js';
import { buildLpd, disposeLpd, lpdTrainableVariables, type LpdModel } from '../../models/lpd/model.js';
import { writeArtifact } from '../artifacts/index.js';
import { MadenetError } from '../core/errors.js';
import { DEFAULT_LPD_SCORING, LPD_GDE_FILE, LPD_KIND, LPD_SCORINGS, lpdDetector, type LpdArtifactConfig, type LpdScoring } from '../detectors/lpd.js';
import { tileDataset, tilingRecord } from '../io/tiles.js';
import { datasetFingerprint, loadDataset } from '../io/dataset.js';
import type { CandidateEvaluation } from '../perfmap/evaluate-candidates.js';
import { planValidation } from '../perfmap/validation-set.js';
import { DEFAULT_GATE, type GateOptions } from '../synth/index.js';
import { TextureBank } from '../synth/texture-bank.js';
import { BestEpoch, type BestEpochExtra } from '../train/train-best-epoch.js';
import { setWeightsFromArtifacts } from '../train/train-checkpoint.js';
import { cosineLr, type CosineSchedule } from '../train/train-cosine.js';
import { bestEpochMetrics, thresholdsFile, validateDetector, VALIDATION_LAMBDA, type DetectorTrainingMetrics } from '../train/train-detector-validation.js';
import { checkTrainNumbers, DEFAULT_CHECKPOINT_EVERY, DEFAULT_VAL_FRACTION } from '../train/train-options.js';
import { startRuntime, TrainingRun } from '../train/train-run.js';
import type { TrainingRunOptions, TrainingRunResult } from '../train/train-run-types.js';
import {
  emptyCutPasteStats,
  lpdEpochBatches,
  lpdStepsPerEpoch,
  LPD_VARIANTS,
  synthesizeLpdBatch,
  type CutPasteStats,
  type LpdCutPasteVariant,
  type LpdSynthOptions,
} from '../train/lpd/lpd-batches.js';
import { restoreDropoutCalls } from '../train/lpd/lpd-dropout-state.js';
import { fitGdeOnNormals } from '../train/lpd/lpd-gde-fit.js';
import { LpdSgd } from '../train/lpd/lpd-sgd.js';
import { lpdTrainStep } from '../train/lpd/lpd-step.js';
import { loadBackbone, RANDOM_BACKBONE } from '../weights/backbone-source.js';
import { writeSafetensors } from '../weights/safetensors.js';
import { trainNormalsOutside } from '../train/train-split.js';
import { checkImageSize } from '../train/image-size-check.js';

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

type LpdCheckpointExtra = BestEpochExtra<CandidateEvaluation>;

export async function trainLpd(opts: TrainLpdOptions): Promise<TrainLpdResult> {
  const started = performance.now();
  const valFraction = opts.valFraction ?? DEFAULT_VAL_FRACTION;
  const checkpointEvery = opts.checkpointEvery ?? DEFAULT_CHECKPOINT_EVERY;
  const backboneSpec = opts.backbone ?? RANDOM_BACKBONE;
  const variant = opts.variant ?? 'normal';
  const scoring = opts.scoring ?? DEFAULT_LPD_SCORING;
  const base = lpdPreset(opts.preset);
  const epochs = opts.epochs ?? base.epochs;
  const batchSize = opts.batchSize ?? base.batchSize;
  const lr = opts.lr ?? base.learningRate;
  checkTrainNumbers({ epochs, batchSize, lr, valFraction, checkpointEvery });
  if (batchSize < 2 || batchSize % 2 !== 0) throw new MadenetError('E_USAGE', `--batch-size is ${batchSize}; expected an even number >= 2 (half normal, half CutPaste).`);
  if (!LPD_VARIANTS.includes(variant)) throw new MadenetError('E_USAGE', `--variant is ${String(variant)}; expected one of ${LPD_VARIANTS.join(', ')}.`);
  if (!LPD_SCORINGS.includes(scoring)) throw new MadenetError('E_USAGE', `--score is ${String(scoring)}; expected one of ${LPD_SCORINGS.join(', ')}.`);
  const overrides = { imageSize: opts.imageSize, epochs, batchSize, learningRate: lr, gdeLayers: opts.gdeLayers };
  lpdPreset(opts.preset, overrides);
  const runtime = await startRuntime(opts);
  const warnings: string[] = [];

  const dataset = await tileDataset(await loadDataset(opts.data, { categories: [opts.category] }), opts.category, opts.tile, opts.seed);
  const plan = planValidation(dataset, opts.category, { valFraction, seed: opts.seed });
  const train = trainNormalsOutside(dataset, opts.category, plan, valFraction, opts.seed);

  const source = await loadBackbone(backboneSpec, { arch: base.backbone, seed: opts.seed, inputSize: overrides.imageSize ?? base.imageSize });
  let lpd: LpdModel | null = null;
  let optimizer: tf.Optimizer | null = null;
  // The run holds its checkpoint series' lock from restore() on; released whatever happens.
  let runLock: { dispose(): Promise<void> } | null = null;
  try {
    const cfg: LpdConfig = lpdPreset(opts.preset, { ...overrides, backbone: source.arch as LpdConfig['backbone'] });
    lpd = buildLpd(cfg, { seed: opts.seed, backbone: source.backbone });
    const live = lpd;
    const parent = source.origin.kind === 'random' ? null : source.origin.ref;
    const sizeCheck = await checkImageSize(train, cfg.imageSize, opts.imageSize !== undefined);
    if (sizeCheck.warning) warnings.push(sizeCheck.warning);
    const textures = await TextureBank.forRun(opts.textures, cfg.imageSize, opts.seed);
    const gate: GateOptions | false = opts.noGate ? false : { ...DEFAULT_GATE };
    const synth: LpdSynthOptions = { variant, gate, jitter: LPD_JITTER };
    const stepsPerEpoch = lpdStepsPerEpoch(train.length, batchSize);
    const totalSteps = epochs * stepsPerEpoch;
    const schedule: CosineSchedule = { baseLr: cfg.learningRate, totalSteps };
    const fingerprint = datasetFingerprint(train);
    const out = resolve(opts.out);
    const runConfig = {
      backbone: cfg.backbone,
      model: cfg,
      scoring,
      training: {
        epochs,
        batchSize,
        stepsPerEpoch,
        optimizer: 'sgd-momentum',
        momentum: cfg.momentum,
        weightDecay: cfg.weightDecay,
        schedule: { kind: 'cosine', ...schedule },
        cutPaste: { variant, gate, jitter: LPD_JITTER },
        backbone: backboneSpec,
      },
      validation: { valFraction, seed: opts.seed, source: plan.source, lambda: VALIDATION_LAMBDA, textures: textures.source },
      data: { root: dataset.root, category: opts.category, trainImages: train.length, fingerprint, tiling: tilingRecord(opts.tile, dataset.tiling), imageSize: sizeCheck.record },
    };
    const target = { root: out, kind: LPD_KIND, category: opts.category, config: runConfig, seed: opts.seed, runtime };

    const vars = lpdTrainableVariables(live);
    const opt = new LpdSgd(cfg.learningRate, cfg.momentum);
    optimizer = opt;
    const named = { model: live.model };
    const run = new TrainingRun<LpdCheckpointExtra>(target, { models: named, optimizer: opt, checkpointEvery, started, warnings, options: opts });
    runLock = run;

    const best = new BestEpoch<CandidateEvaluation>();
    // The best epoch's GDE is not checkpointed (see below).
    let bestGde: GdeState | null = null;
    const restored = await run.restore(opts.resume, best);
    if (restored) restoreDropoutCalls(live.model, restored.loop.step);

    const gdeBatch = Math.max(batchSize, 8);
    const stats = emptyCutPasteStats();
    let lastGde: GdeState | null = null;
    const state = await run.loop({
      epochs,
      stepsPerEpoch,
      batches: (epoch) => lpdEpochBatches(train, { seed: opts.seed, epoch, size: cfg.imageSize, batchSize, stepsPerEpoch }),
      batchSize: (b) => 2 * b.items.length,
      lr: (step) => cosineLr(schedule, step),
      step: async (raw, ctx) => {
        const batch = synthesizeLpdBatch(raw, synth, stats);
        try {
          opt.setRate(ctx.lr);
          const r = await lpdTrainStep(live, opt, vars, batch.images, batch.labels, cfg.weightDecay);
          return { loss: r.loss, patchedTerm: r.patchedTerm, normalTerm: r.normalTerm, accuracy: r.accuracy };
        } finally {
          tf.dispose([batch.images, batch.labels]);
        }
      },
      validate: async () => {
        // The detector that would be saved: this epoch's weights with a GDE fitted on the train normals.
        lastGde = await fitGdeOnNormals(live.extractor, train, cfg, { batchSize: gdeBatch });
        const detector = lpdDetector(live.model, lastGde, cfg, { category: opts.category, artifactDir: null, ownsModel: false, scoring });
        const v = await validateDetector(detector, plan, { textures, batchSize: gdeBatch });
        best.measured(v.evaluation);
        return v.validation;
      },
      onBest: async () => {
        await best.keep(named);
        bestGde = lastGde;
      },
      checkpoint: () => best.checkpoint(),
    });

    const chosen = best.chosen('Training');
    const weights = chosen.weights.model as tf.io.ModelArtifacts;
    const bestEval = chosen.evaluation;
    setWeightsFromArtifacts(live.model, weights, 'best LPD snapshot');
    // A resumed run did not see the best epoch's GDE; refitting on the same weights and images gives the same one.
    const gde = (bestGde as GdeState | null) ?? (await fitGdeOnNormals(live.extractor, train, cfg, { batchSize: gdeBatch }));

    const metrics: LpdMetrics = bestEpochMetrics(bestEval, state);
    const artifactConfig: LpdArtifactConfig & typeof runConfig = runConfig;
    const ref = await writeArtifact({
      // --resume of a finished run gives the same bytes again: keep the version it made, write no copy.
      reuseIdentical: opts.resume === true,
      root: out,
      kind: LPD_KIND,
      category: opts.category,
      config: artifactConfig,
      seed: opts.seed,
      datasetFingerprint: fingerprint,
      runtime,
      metrics: { validation: metrics, epochs: state.epoch, steps: state.step, history: state.history, cutPaste: stats },
      parents: parent ? [parent] : [],
      models: { model: weights },
      files: {
        [LPD_GDE_FILE]: writeSafetensors(gdeToTensors(gde), { format: 'madenet-lpd-gde', images: String(gde.count) }),
        'thresholds.json': thresholdsFile(bestEval, { scoring }),
      },
    });

    return {
      artifact: { dir: ref.dir, version: ref.version },
      category: opts.category,
      preset: opts.preset,
      imageSize: cfg.imageSize,
      backbone: backboneSpec,
      backboneParent: parent,
      scoring,
      metrics,
      validation: { source: plan.source, normals: bestEval.normals, defects: bestEval.defects },
      cutPaste: { ...stats, variant, gate: gate !== false },
      gde: { images: gde.count, height: gde.height, width: gde.width, dim: gde.dim },
      trainImages: train.length,
      ...run.resultFields(state),
    };
  } finally {
    await runLock?.dispose();
    optimizer?.dispose();
    if (lpd) disposeLpd(lpd);
    else source.backbone.dispose();
  }
}
