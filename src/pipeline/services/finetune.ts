// `madenet finetune`: continues a trained SRAD, SFAD or LPD artifact on the category's real train defects and
// their masks, mixed with synthetic defects at --real-ratio; validates the parent and every epoch on held-out
// train normals and held-out train defects (never trained on, never the test split) and saves the best epoch as
// a new version of the same kind with its parent, settings and before/after metrics. No flags, no printing.
// finetuneModel() dispatches on the parent's kind: the pre-classifier goes to finetune-classifier.ts; a submodel's
// specifics (adapter, batch split, default rate) come from its entry in the submodel registry.
import { resolve } from 'node:path';
import { loadArtifact, writeArtifact } from '../artifacts/index.js';
import { MadenetError } from '../core/errors.js';
import type { SubmodelKind } from '../detectors/detector.js';
import { loadDetector } from '../detectors/registry.js';
import { datasetFingerprint, loadDataset } from '../io/dataset.js';
import { checkLambda, objectiveOf } from '../perfmap/choose.js';
import type { CandidateEvaluation } from '../perfmap/evaluate-candidates.js';
import { TextureBank } from '../synth/texture-bank.js';
import { BestEpoch, type BestEpochExtra } from '../train/train-best-epoch.js';
import { cosineLr, type CosineSchedule } from '../train/train-cosine.js';
import { validateDetector, VALIDATION_LAMBDA } from '../train/train-detector-validation.js';
import { checkTrainNumbers, DEFAULT_CHECKPOINT_EVERY } from '../train/train-options.js';
import { startRuntime, TrainingRun } from '../train/train-run.js';
import type { TrainingRunResult } from '../train/train-run-types.js';
import type { FinetuneAdapter, FinetuneSnapshot } from '../finetune/adapter.js';
import type { ParentRunOptions } from '../finetune/finetune-options.js';
import { selectFinetuneData } from '../finetune/finetune-data.js';
import { finetuneStepsPerEpoch, mixedEpochBatches } from '../finetune/mixed-batches.js';
import { loadFinetuneParent, type FinetuneParent } from '../finetune/parent.js';
import { checkRealRatio } from '../finetune/real-ratio.js';
import { CLASSIFIER_KIND } from '../infer/classifier-contract.js';
import { finetuneClassifier, rejectDetectorOptions, type ClassifierFinetuneOptions, type ClassifierFinetuneResult } from './finetune-classifier.js';

/**
 * Whether the fine-tune lost to its parent on validation: its objective fell by more than one step of the
 * validation image AUROC (lambda / (normals x defects)). Smaller differences are below what the held-out set can
 * resolve (an unchanged model must not read as a loss), and such a tie keeps the fine-tuned version.
 */
export function finetuneLost(r: {
  metrics: { before: Pick<FinetuneMetrics, 'normals' | 'defects'>; delta: Pick<FinetuneResult['metrics']['delta'], 'objective'> };
  settings: Pick<FinetuneResult['settings'], 'lambda'>;
}): boolean {
  const { delta, before } = r.metrics;
  if (delta.objective === null) return false;
  const pairs = Math.max(1, before.normals * before.defects);
  return delta.objective < -r.settings.lambda / pairs;
}

/** Default passes over normals + real defects: fine-tuning starts from a trained model. */
export const DEFAULT_FINETUNE_EPOCHS = 5;
export const DEFAULT_REAL_RATIO = 0.5;

/** A srad/sfad/lpd parent (ParentRunOptions.model) and the detector fine-tune's own settings. */
export interface FinetuneOptions extends ParentRunOptions {
  /** Share of defect slots given to real defects, in [0, 1]; the rest are synthetic (default 0.5). */
  realRatio?: number;
  /** Weight of image AUROC against Pixel-AP in the score that picks the best epoch (default 0.5, build-perfmap's). */
  lambda?: number;
  /** Folder of texture images for SRAD's synthetic anomalies; default the built-in procedural set. */
  textures?: string;
  /** SFAD: memory for cached backbone features (default 768 MiB). */
  featureBudgetBytes?: number;
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

export interface FinetuneResult extends TrainingRunResult {
  kind: SubmodelKind;
  category: string;
  parent: { kind: string; category: string; version: number; dir: string };
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
}

type FinetuneCheckpointExtra = BestEpochExtra<CandidateEvaluation>;

/** Options of either fine-tune: the classifier-only ones are refused for a submodel and the other way round. */
export type AnyFinetuneOptions = FinetuneOptions & Pick<ClassifierFinetuneOptions, 'defectShare' | 'minConfidence' | 'labelSmoothing'>;
/** A submodel's result (kind srad/sfad/lpd) or the pre-classifier's (kind 'classifier'). */
export type AnyFinetuneResult = FinetuneResult | ClassifierFinetuneResult;

/** Whether a fine-tune's result is the pre-classifier's (a submodel's kind is any registered name, so a plain union cannot tell). */
export function isClassifierFinetune(r: AnyFinetuneResult): r is ClassifierFinetuneResult {
  return r.kind === CLASSIFIER_KIND;
}

/** Fine-tunes whatever --model is: a submodel (finetune below) or the pre-classifier (finetuneClassifier). */
export async function finetuneModel(opts: AnyFinetuneOptions): Promise<AnyFinetuneResult> {
  const artifact = await loadArtifact(opts.model);
  if (artifact.manifest.kind === CLASSIFIER_KIND) {
    rejectDetectorOptions(opts, artifact.dir);
    return finetuneClassifier(opts, artifact);
  }
  const classifierOnly = (['defectShare', 'minConfidence', 'labelSmoothing'] as const).filter((k) => opts[k] !== undefined);
  if (classifierOnly.length > 0) {
    throw new MadenetError('E_USAGE', `${classifierOnly.join(', ')} ${classifierOnly.length === 1 ? 'applies' : 'apply'} to the pre-classifier only; --model ${artifact.dir} is a '${artifact.manifest.kind}' artifact.`);
  }
  return finetune(opts);
}

/** Everything the run needs before the adapter exists, in the order the original service made it (seeded draws included). */
async function prepareFinetune(opts: FinetuneOptions) {
  const started = performance.now();
  const parent = await loadFinetuneParent(opts.model);
  const { kind, category, spec } = parent;
  const epochs = opts.epochs ?? DEFAULT_FINETUNE_EPOCHS;
  const batchSize = opts.batchSize ?? parent.defaults.batchSize;
  const lr = opts.lr ?? parent.defaults.lr;
  const valFraction = opts.valFraction ?? parent.defaults.valFraction;
  const seed = opts.seed ?? parent.defaults.seed;
  const realRatio = checkRealRatio(opts.realRatio ?? DEFAULT_REAL_RATIO);
  const lambda = checkLambda(opts.lambda ?? VALIDATION_LAMBDA);
  const checkpointEvery = opts.checkpointEvery ?? DEFAULT_CHECKPOINT_EVERY;
  checkTrainNumbers({ epochs, batchSize, lr, valFraction, checkpointEvery });
  const expected = spec.batchSizeExpectation(batchSize);
  if (expected !== null) throw new MadenetError('E_USAGE', `--batch-size is ${batchSize}; expected ${expected}.`);
  const warnings = splitWarnings(parent, valFraction, seed);
  const runtime = await startRuntime(opts);

  const dataset = await loadDataset(opts.data, { categories: [category] });
  const data = selectFinetuneData(dataset, category, { valFraction, seed });
  if (data.unmasked.length > 0) warnings.push(`${data.unmasked.length} train defect(s) of ${category} have no mask and are not trained on.`);
  const out = resolve(opts.out ?? parent.root);

  // The parent as saved (its own GDE and threshold), measured on exactly the set the fine-tune is measured on.
  const parentDetector = await loadDetector(parent.artifact.dir);
  const imageSize = parentDetector.imageSize;
  const textures = await TextureBank.forRun(opts.textures, imageSize, seed);
  const valBatch = Math.max(batchSize, 8);
  let beforeEval: CandidateEvaluation;
  try {
    beforeEval = (await validateDetector(parentDetector, data.plan, { textures, batchSize: valBatch, lambda })).evaluation;
  } finally {
    parentDetector.dispose();
  }

  const stepsPerEpoch = finetuneStepsPerEpoch(data.trainNormals.length, data.trainDefects.length, batchSize);
  const schedule: CosineSchedule = { baseLr: lr, totalSteps: epochs * stepsPerEpoch };
  const fingerprint = datasetFingerprint([...data.trainNormals, ...data.trainDefects]);
  const parentRef = { kind, category, version: parent.artifact.ref.version, dir: parent.artifact.dir };
  const settings = { epochs, batchSize, lr, realRatio, valFraction, seed, lambda };
  return { started, parent, kind, category, settings, checkpointEvery, warnings, runtime, dataset, data, out, imageSize, textures, valBatch, beforeEval, stepsPerEpoch, schedule, fingerprint, parentRef };
}

type Prepared = Awaited<ReturnType<typeof prepareFinetune>>;

/** The new artifact's config (and what a --resume must match). */
function finetuneRunConfig(p: Prepared, adapter: FinetuneAdapter) {
  const { epochs, batchSize, lr, realRatio, valFraction, seed, lambda } = p.settings;
  const { plan } = p.data;
  return {
    model: p.parent.config.model,
    ...(p.parent.spec.topLevelConfig?.(p.parent.config) ?? {}),
    training: { epochs, batchSize, stepsPerEpoch: p.stepsPerEpoch, schedule: { kind: 'cosine', ...p.schedule }, realRatio, ...adapter.settings },
    finetune: { lr, realRatio, epochs, batchSize, parent: p.parentRef },
    validation: { valFraction, seed, source: plan.source, lambda, heldOutNormals: plan.normals.length, heldOutDefects: plan.defects.length, textures: p.textures.source },
    data: { root: p.dataset.root, category: p.category, trainNormals: p.data.trainNormals.length, trainDefects: p.data.trainDefects.length, fingerprint: p.fingerprint },
    parentConfig: p.parent.config,
  };
}

export async function finetune(opts: FinetuneOptions): Promise<FinetuneResult> {
  const p = await prepareFinetune(opts);
  const { seed, lr, batchSize } = p.settings;
  const adapter = await p.parent.spec.adapter({ parent: p.parent, trainNormals: p.data.trainNormals, seed, lr, batchSize, textures: p.textures, featureBudgetBytes: opts.featureBudgetBytes });
  // The run holds its checkpoint series' lock from restore() on; released whatever happens.
  let runLock: { dispose(): Promise<void> } | null = null;
  try {
    const runConfig = finetuneRunConfig(p, adapter);
    const target = { root: p.out, kind: `finetune-${p.kind}`, category: p.category, config: runConfig, seed, runtime: p.runtime };
    const run = new TrainingRun<FinetuneCheckpointExtra>(target, {
      models: adapter.models,
      optimizer: adapter.optimizer,
      checkpointEvery: p.checkpointEvery,
      started: p.started,
      warnings: p.warnings,
      freshStart: 'fine-tuning started from the parent',
      options: opts,
    });
    runLock = run;
    const trained = await finetuneLoop(p, adapter, run, opts.resume);
    return await saveFinetune(p, adapter, run, runConfig, trained, opts.resume === true);
  } finally {
    await runLock?.dispose();
    adapter.dispose();
  }
}

/** Restore (with --resume), then the epochs; returns the best epoch's snapshot and the images seen. */
async function finetuneLoop(p: Prepared, adapter: FinetuneAdapter, run: TrainingRun<FinetuneCheckpointExtra>, resume: boolean | undefined) {
  const { epochs, batchSize, realRatio, seed, lambda } = p.settings;
  const { stepsPerEpoch, schedule, imageSize, data, textures } = p;
  const best = new BestEpoch<CandidateEvaluation>();
  // The GDE of an LPD best epoch is not checkpointed; after a resume the adapter refits it from the same weights.
  let bestGde: FinetuneSnapshot['gde'] = null;
  const restored = await run.restore(resume, best);
  if (restored) adapter.resumedAt(restored.loop.step);

  const composition = { real: 0, synthetic: 0, clean: 0 };
  const compose = p.parent.spec.composition;
  const state = await run.loop({
    epochs,
    stepsPerEpoch,
    batches: (epoch) => mixedEpochBatches(data.trainNormals, data.trainDefects, { composition: compose, seed, epoch, size: imageSize, batchSize, stepsPerEpoch, realRatio }),
    batchSize: (b) => b.composition.real + b.composition.synthetic + b.composition.clean,
    lr: (step) => cosineLr(schedule, step),
    step: async (raw, ctx) => {
      try {
        adapter.setLr(ctx.lr);
        return await adapter.step(raw, ctx);
      } finally {
        const c = raw.composition;
        composition.real += c.real;
        composition.synthetic += c.synthetic;
        composition.clean += c.clean;
      }
    },
    validate: async () => {
      const v = await validateDetector(await adapter.detector(), data.plan, { textures, batchSize: p.valBatch, lambda });
      best.measured(v.evaluation);
      return v.validation;
    },
    onBest: async () => {
      const snapshot = await adapter.snapshot();
      best.keepWeights(snapshot.models);
      bestGde = snapshot.gde ?? null;
    },
    checkpoint: () => best.checkpoint(),
  });
  const chosen = best.chosen('Fine-tuning');
  // Assigned in callbacks only, which TypeScript's narrowing does not follow.
  const snapshot: FinetuneSnapshot = { models: chosen.weights, gde: bestGde as FinetuneSnapshot['gde'] };
  return { state, chosen, snapshot, composition };
}

/** The best epoch into the live networks, its metrics against the parent's, and the new version. */
async function saveFinetune(
  p: Prepared,
  adapter: FinetuneAdapter,
  run: TrainingRun<FinetuneCheckpointExtra>,
  runConfig: ReturnType<typeof finetuneRunConfig>,
  trained: Awaited<ReturnType<typeof finetuneLoop>>,
  reuseIdentical: boolean,
): Promise<FinetuneResult> {
  const { state, chosen, snapshot, composition } = trained;
  const { lambda } = p.settings;
  await adapter.restore(snapshot);
  const payload = await adapter.payload(snapshot, chosen.evaluation, p.data.plan);
  const before = metricsOf(p.beforeEval, lambda);
  const after = { ...metricsOf(chosen.evaluation, lambda), bestEpoch: state.bestEpoch };
  const delta = { imageAuroc: diff(after.imageAuroc, before.imageAuroc), pixelAp: diff(after.pixelAp, before.pixelAp), objective: diff(after.objective, before.objective) };
  if (finetuneLost({ metrics: { before, delta }, settings: { lambda } })) {
    // Still saved (the run is recorded), but a user must not take the new version for the better one.
    p.warnings.push(
      `The fine-tuned model scores below its parent on validation by more than one image-AUROC step of the held-out set (objective ${before.objective?.toFixed(4)} -> ${after.objective?.toFixed(4)} at lambda ${lambda}); the parent ${p.parent.artifact.dir} stays the better model, so give build-perfmap that version.`,
    );
  }
  const ref = await writeArtifact({
    // --resume of a finished run gives the same bytes again: keep the version it made, write no copy.
    reuseIdentical,
    root: p.out,
    kind: p.kind,
    category: p.category,
    config: runConfig,
    seed: p.settings.seed,
    datasetFingerprint: p.fingerprint,
    runtime: p.runtime,
    metrics: { validation: after, before, after, delta, epochs: state.epoch, steps: state.step, history: state.history, composition },
    parents: [p.parent.artifact.ref],
    models: payload.models,
    files: payload.files,
  });
  const { data } = p;
  return {
    artifact: { dir: ref.dir, version: ref.version },
    kind: p.kind,
    category: p.category,
    parent: p.parentRef,
    imageSize: p.imageSize,
    settings: p.settings,
    metrics: { before, after, delta },
    data: {
      trainNormals: data.trainNormals.length,
      trainDefects: data.trainDefects.length,
      validationNormals: data.plan.normals.length,
      validationDefects: data.plan.defects.length,
      unmaskedSkipped: data.unmasked.length,
    },
    composition,
    ...run.resultFields(state),
  };
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
