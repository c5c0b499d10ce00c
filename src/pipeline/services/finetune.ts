// `madenet finetune`: continues a trained SRAD, SFAD or LPD artifact on the category's real train defects and
// their masks, mixed with synthetic defects at --real-ratio; validates the parent and every epoch on held-out
// train normals and held-out train defects (never trained on, never the test split) and saves the best epoch as
// a new version of the same kind with its parent, settings and before/after metrics. No flags, no printing.
import { resolve } from 'node:path';
import { checkpointDir, writeArtifact } from '../artifacts/index.js';
import { MadenetError } from '../cli/errors.js';
import type { SubmodelKind } from '../detectors/detector.js';
import { loadDetector } from '../detectors/registry.js';
import { datasetFingerprint, loadDataset } from '../io/dataset.js';
import { checkLambda, objectiveOf } from '../perfmap/choose.js';
import type { CandidateEvaluation } from '../perfmap/evaluate-candidates.js';
import { initRuntime, type BackendRequest, type RuntimeInfo } from '../runtime/backend.js';
import { TextureBank } from '../synth/texture-bank.js';
import { runTrainLoop, type EpochRecord, type LoopState } from '../train/loop.js';
import { restoreTrainCheckpoint, saveTrainCheckpoint, type CheckpointTarget } from '../train/train-checkpoint.js';
import { cosineLr, type CosineSchedule } from '../train/train-cosine.js';
import { validateDetector, VALIDATION_LAMBDA } from '../train/train-detector-validation.js';
import { weightsFinite } from '../train/train-finite.js';
import { checkTrainNumbers, divergedWeights, interrupted, withCheckpointHint } from '../train/train-options.js';
import type { AdapterOptions, FinetuneAdapter, FinetuneSnapshot } from '../finetune/adapter.js';
import { selectFinetuneData } from '../finetune/finetune-data.js';
import { lpdFinetuneAdapter } from '../finetune/lpd-adapter.js';
import { finetuneStepsPerEpoch, mixedEpochBatches } from '../finetune/mixed-batches.js';
import { loadFinetuneParent, type FinetuneParent } from '../finetune/parent.js';
import { checkRealRatio } from '../finetune/real-ratio.js';
import { sfadFinetuneAdapter } from '../finetune/sfad-adapter.js';
import { sradFinetuneAdapter } from '../finetune/srad-adapter.js';

/** Default passes over normals + real defects: fine-tuning starts from a trained model. */
export const DEFAULT_FINETUNE_EPOCHS = 5;
export const DEFAULT_REAL_RATIO = 0.5;

export interface FinetuneOptions {
  /** The parent: a vNNNN directory of a srad/sfad/lpd artifact, or its <kind>/<category> directory (LATEST). */
  model: string;
  /** Dataset root with real defects in <category>/train/<defect-type> and masks in ground_truth/. */
  data: string;
  /** Artifact root for <kind>/<category>/vNNNN; default the parent's root. */
  out?: string;
  epochs?: number;
  /** Default the parent's batch size (LPD: even, half normal, half defective). */
  batchSize?: number;
  /** Default a share of the parent's training rate (FINETUNE_LR_FACTORS); cosine decay to 0 over the run. */
  lr?: number;
  /** Share of defect slots given to real defects, in [0, 1]; the rest are synthetic (default 0.5). */
  realRatio?: number;
  /** Default the parent's, so that the validation normals are the ones the parent never trained on. */
  valFraction?: number;
  /** Default the parent's seed (it fixes the hold-out split too). */
  seed?: number;
  /** Weight of image AUROC against Pixel-AP in the score that picks the best epoch (default 0.5, build-perfmap's). */
  lambda?: number;
  backend?: BackendRequest;
  threads?: number;
  /** Folder of texture images for SRAD's synthetic anomalies; default the built-in procedural set. */
  textures?: string;
  /** Checkpoint every N steps and at each epoch end (default 100); 0 writes none. */
  checkpointEvery?: number;
  resume?: boolean;
  /** SFAD: memory for cached backbone features (default 768 MiB). */
  featureBudgetBytes?: number;
  signal?: AbortSignal;
  onProgress?: (p: { step: number; totalSteps: number; epoch: number; loss: number; imagesPerSecond: number }) => void;
  onEpoch?: (record: EpochRecord) => void;
}

export interface FinetuneMetrics {
  imageAuroc: number | null;
  pixelAp: number | null;
  /** build-perfmap's objective at the run's lambda (what best-by-validation maximises). */
  objective: number | null;
  threshold: CandidateEvaluation['threshold'];
  mapRange: CandidateEvaluation['mapRange'];
  normals: number;
  defects: number;
}

export interface FinetuneResult {
  artifact: { dir: string; version: number };
  kind: SubmodelKind;
  category: string;
  parent: { kind: string; category: string; version: number; dir: string };
  imageSize: number;
  settings: { epochs: number; batchSize: number; lr: number; realRatio: number; valFraction: number; seed: number; lambda: number };
  metrics: {
    /** The parent on the fine-tune's validation set. */
    before: FinetuneMetrics;
    /** The saved (best) epoch on the same set. */
    after: FinetuneMetrics & { bestEpoch: number | null };
    /** after - before (null where either is unknown). */
    delta: { imageAuroc: number | null; pixelAp: number | null; objective: number | null };
  };
  data: { trainNormals: number; trainDefects: number; validationNormals: number; validationDefects: number; unmaskedSkipped: number };
  /** Images of each sort the optimiser saw in this invocation. */
  composition: { real: number; synthetic: number; clean: number };
  epochs: EpochRecord[];
  steps: number;
  seconds: number;
  imagesPerSecond: number;
  resumedFrom: { dir: string; step: number } | null;
  checkpoints: string | null;
  runtime: RuntimeInfo;
  warnings: string[];
}

interface FinetuneCheckpointExtra {
  best: CandidateEvaluation | null;
}

const ADAPTERS: Record<SubmodelKind, (o: AdapterOptions & { featureBudgetBytes?: number }) => Promise<FinetuneAdapter>> = {
  srad: sradFinetuneAdapter,
  sfad: sfadFinetuneAdapter,
  lpd: lpdFinetuneAdapter,
};

export async function finetune(opts: FinetuneOptions): Promise<FinetuneResult> {
  const started = performance.now();
  const parent = await loadFinetuneParent(opts.model);
  const { kind, category } = parent;
  const epochs = opts.epochs ?? DEFAULT_FINETUNE_EPOCHS;
  const batchSize = opts.batchSize ?? parent.defaults.batchSize;
  const lr = opts.lr ?? parent.defaults.lr;
  const valFraction = opts.valFraction ?? parent.defaults.valFraction;
  const seed = opts.seed ?? parent.defaults.seed;
  const realRatio = checkRealRatio(opts.realRatio ?? DEFAULT_REAL_RATIO);
  const lambda = checkLambda(opts.lambda ?? VALIDATION_LAMBDA);
  const checkpointEvery = opts.checkpointEvery ?? 100;
  checkTrainNumbers({ epochs, batchSize, lr, valFraction, checkpointEvery });
  if (batchSize < 2 || (kind === 'lpd' && batchSize % 2 !== 0)) {
    throw new MadenetError('E_USAGE', `--batch-size is ${batchSize}; expected ${kind === 'lpd' ? 'an even number >= 2 (half normal, half defective)' : 'at least 2 (normal and defective images together)'}.`);
  }
  const warnings = splitWarnings(parent, valFraction, seed);
  const runtime = await initRuntime({ backend: opts.backend ?? 'auto', threads: opts.threads ?? 0 });

  const dataset = await loadDataset(opts.data, { categories: [category] });
  const data = selectFinetuneData(dataset, category, { valFraction, seed });
  const { plan } = data;
  if (data.unmasked.length > 0) warnings.push(`${data.unmasked.length} train defect(s) of ${category} have no mask and are not trained on.`);
  const out = resolve(opts.out ?? parent.root);

  // The parent as saved (its own GDE and threshold), measured on exactly the set the fine-tune is measured on.
  const parentDetector = await loadDetector(parent.artifact.dir);
  const imageSize = parentDetector.imageSize;
  const textures = opts.textures ? await TextureBank.fromDir(opts.textures, imageSize) : TextureBank.procedural(imageSize, seed);
  const valBatch = Math.max(batchSize, 8);
  let beforeEval: CandidateEvaluation;
  try {
    beforeEval = (await validateDetector(parentDetector, plan, { textures, batchSize: valBatch, lambda })).evaluation;
  } finally {
    parentDetector.dispose();
  }

  const stepsPerEpoch = finetuneStepsPerEpoch(data.trainNormals.length, data.trainDefects.length, batchSize);
  const totalSteps = epochs * stepsPerEpoch;
  const schedule: CosineSchedule = { baseLr: lr, totalSteps };
  const fingerprint = datasetFingerprint([...data.trainNormals, ...data.trainDefects]);
  const parentRef = { kind, category, version: parent.artifact.ref.version, dir: parent.artifact.dir };

  const adapter = await ADAPTERS[kind]({ parent, trainNormals: data.trainNormals, seed, lr, batchSize, textures, featureBudgetBytes: opts.featureBudgetBytes });
  try {
    const runConfig = {
      model: parent.config.model,
      // LPD's loaders read these two at the top (detector scoring; `--backbone <lpd artifact>` elsewhere).
      ...(kind === 'lpd' ? { backbone: parent.config.backbone, scoring: parent.config.scoring ?? 'head' } : {}),
      training: { epochs, batchSize, stepsPerEpoch, schedule: { kind: 'cosine', ...schedule }, realRatio, ...adapter.settings },
      finetune: { lr, realRatio, epochs, batchSize, parent: parentRef },
      validation: { valFraction, seed, source: plan.source, lambda, heldOutNormals: plan.normals.length, heldOutDefects: plan.defects.length, textures: textures.source },
      data: { root: dataset.root, category, trainNormals: data.trainNormals.length, trainDefects: data.trainDefects.length, fingerprint },
      parentConfig: parent.config,
    };
    const ckptKind = `finetune-${kind}`;
    const ckptDir = checkpointDir(out, ckptKind, category);
    const target: CheckpointTarget = { root: out, kind: ckptKind, category, config: runConfig, seed, runtime };

    let resumeState: LoopState | undefined;
    let resumedFrom: FinetuneResult['resumedFrom'] = null;
    let best: { snapshot: FinetuneSnapshot; evaluation: CandidateEvaluation } | null = null;
    if (opts.resume) {
      const restored = await restoreTrainCheckpoint<FinetuneCheckpointExtra>(target, { models: adapter.models, optimizer: adapter.optimizer });
      if (restored) {
        resumeState = restored.loop;
        resumedFrom = { dir: restored.ref.dir, step: restored.loop.step };
        const evaluation = restored.extra?.best ?? null;
        // The GDE of an LPD best epoch is not checkpointed; the adapter refits it from the same weights.
        if (evaluation && Object.keys(restored.snapshots).length > 0) best = { snapshot: { models: restored.snapshots, gde: null }, evaluation };
        adapter.resumedAt(restored.loop.step);
      } else {
        warnings.push(`--resume found no checkpoint in ${ckptDir}; fine-tuning started from the parent.`);
      }
    }

    const composition = { real: 0, synthetic: 0, clean: 0 };
    const live = Object.values(adapter.models);
    let lastEval: CandidateEvaluation | null = null;
    let lastSaved = resumeState?.step ?? 0;
    let stepSeconds = 0;
    let stepImages = 0;
    const state = await runTrainLoop({
      epochs,
      stepsPerEpoch,
      resume: resumeState,
      batches: (epoch) =>
        mixedEpochBatches(data.trainNormals, data.trainDefects, { kind, seed, epoch, size: imageSize, batchSize, stepsPerEpoch, realRatio }),
      batchSize: (b) => b.composition.real + b.composition.synthetic + b.composition.clean,
      lr: (step) => cosineLr(schedule, step),
      step: async (raw, ctx) => {
        if (opts.signal?.aborted) throw interrupted(ctx.step, lastSaved, ckptDir, checkpointEvery > 0);
        const t0 = performance.now();
        try {
          adapter.setLr(ctx.lr);
          const losses = await adapter.step(raw, ctx);
          if (Number.isFinite(losses.loss) && !weightsFinite(live)) throw divergedWeights(ctx.step, ctx.epoch, losses.loss as number, lastSaved);
          return losses;
        } finally {
          const c = raw.composition;
          composition.real += c.real;
          composition.synthetic += c.synthetic;
          composition.clean += c.clean;
          stepSeconds += (performance.now() - t0) / 1000;
          stepImages += c.real + c.synthetic + c.clean;
        }
      },
      validate: async () => {
        const v = await validateDetector(await adapter.detector(), plan, { textures, batchSize: valBatch, lambda });
        lastEval = v.evaluation;
        return v.validation;
      },
      onBest: async () => {
        best = { snapshot: await adapter.snapshot(), evaluation: lastEval as CandidateEvaluation };
      },
      checkpointEvery,
      saveCheckpoint:
        checkpointEvery > 0
          ? async (s) => {
              const b = best as typeof best;
              await saveTrainCheckpoint<FinetuneCheckpointExtra>(target, {
                models: adapter.models,
                optimizer: adapter.optimizer,
                loop: s,
                snapshots: b?.snapshot.models,
                extra: { best: b?.evaluation ?? null },
              });
              lastSaved = s.step;
            }
          : undefined,
      onProgress: opts.onProgress,
      onEpoch: opts.onEpoch,
    }).catch((err: unknown) => {
      throw withCheckpointHint(err, checkpointEvery > 0 ? ckptDir : null);
    });

    const chosen = best as typeof best;
    if (!chosen) throw new MadenetError('E_INTERNAL', 'Fine-tuning ended without a validated epoch to save.');
    await adapter.restore(chosen.snapshot);
    const payload = await adapter.payload(chosen.snapshot, chosen.evaluation, plan);
    const before = metricsOf(beforeEval, lambda);
    const after = { ...metricsOf(chosen.evaluation, lambda), bestEpoch: state.bestEpoch };
    const delta = {
      imageAuroc: diff(after.imageAuroc, before.imageAuroc),
      pixelAp: diff(after.pixelAp, before.pixelAp),
      objective: diff(after.objective, before.objective),
    };
    const ref = await writeArtifact({
      root: out,
      kind,
      category,
      config: runConfig,
      seed,
      datasetFingerprint: fingerprint,
      runtime,
      metrics: { validation: after, before, after, delta, epochs: state.epoch, steps: state.step, history: state.history, composition },
      parents: [parent.artifact.ref],
      models: payload.models,
      files: payload.files,
    });

    return {
      artifact: { dir: ref.dir, version: ref.version },
      kind,
      category,
      parent: parentRef,
      imageSize,
      settings: { epochs, batchSize, lr, realRatio, valFraction, seed, lambda },
      metrics: { before, after, delta },
      data: {
        trainNormals: data.trainNormals.length,
        trainDefects: data.trainDefects.length,
        validationNormals: plan.normals.length,
        validationDefects: plan.defects.length,
        unmaskedSkipped: data.unmasked.length,
      },
      composition,
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
    adapter.dispose();
  }
}

function metricsOf(e: CandidateEvaluation, lambda: number): FinetuneMetrics {
  return {
    imageAuroc: e.imageAuroc,
    pixelAp: e.pixelAp,
    objective: objectiveOf(e, lambda),
    threshold: e.threshold,
    mapRange: e.mapRange,
    normals: e.normals,
    defects: e.defects,
  };
}

function diff(a: number | null, b: number | null): number | null {
  return a === null || b === null ? null : a - b;
}

/** A split other than the parent's may put normals it trained on into validation: say so. */
function splitWarnings(parent: FinetuneParent, valFraction: number, seed: number): string[] {
  const d = parent.defaults;
  if (valFraction === d.valFraction && seed === d.seed) return [];
  return [
    `The validation split (--val-fraction ${valFraction}, --seed ${seed}) differs from the parent's (${d.valFraction}, ${d.seed}); some validation normals may be images the parent was trained on.`,
  ];
}
