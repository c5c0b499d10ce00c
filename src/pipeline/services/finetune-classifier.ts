// `madenet finetune` for the ISM pre-classifier: continues a classifier artifact on the train split's normals and
// defects of all its categories (class-balanced, defects at a fixed share of each category's draws), validates the
// parent and every epoch on train-classifier's hold-out (never the test split) as infer would route it, and saves the
// best epoch as a new version of the classifier with its parent and before/after metrics. No flags, no printing.
import * as tf from '@tensorflow/tfjs';
import { resolve } from 'node:path';
import { writeArtifact } from '../artifacts/index.js';
import { MadenetError } from '../core/errors.js';
import { CLASSIFIER_KIND } from '../infer/classifier-contract.js';
import { DEFAULT_MIN_CONFIDENCE } from '../infer/route.js';
import { datasetFingerprint, loadDataset } from '../io/dataset.js';
import type { Validation } from '../train/loop.js';
import { BestEpoch, type BestEpochExtra } from '../train/train-best-epoch.js';
import { cosineLr, type CosineSchedule } from '../train/train-cosine.js';
import { checkTrainNumbers, DEFAULT_CHECKPOINT_EVERY } from '../train/train-options.js';
import { startRuntime, TrainingRun, type RunLoopOptions } from '../train/train-run.js';
import type { TrainingRunResult } from '../train/train-run-types.js';
import type { ClassifierBatchItems } from '../train/classifier/classifier-data.js';
import { restoreDropCounters } from '../train/classifier/classifier-drop-state.js';
import { classifierArtifactFiles, classifierLoopStep } from '../train/classifier/classifier-run.js';
import { classifierProbabilities } from '../train/classifier/classifier-validation.js';
import { checkDefectShare, classifierFinetuneBatches, DEFAULT_DEFECT_SHARE } from '../finetune/classifier-finetune-batches.js';
import { selectClassifierFinetuneData, type ClassifierFinetuneCounts, type ClassifierFinetuneData } from '../finetune/classifier-finetune-data.js';
import { buildParentClassifier, classifierParentOf, loadClassifierParent, type ClassifierFinetuneParent } from '../finetune/classifier-parent.js';
import { classifierRoutingMetrics, routingScore, type ClassifierRoutingMetrics } from '../finetune/classifier-routing-metrics.js';
import type { LoadedArtifact } from '../artifacts/index.js';
import { withParentDefaults, type ParentRunOptions } from '../finetune/finetune-options.js';

/** Default passes over the train split: fine-tuning starts from a trained classifier. */
export const DEFAULT_CLASSIFIER_FINETUNE_EPOCHS = 5;
/**
 * Label smoothing eps makes 1 - eps + eps/K the target of the true class: train-classifier's 0.1 puts it at 0.925 for
 * 4 categories, just above infer's routing threshold 0.85, so images a little off the normal look fall under it. The
 * fine-tune aims at 0.98+ instead. Measured on the quick demo's data (4 categories, tiny preset, 5 epochs): with 0.1
 * the fine-tune left the share of test images under 0.85 where it was (14 -> 13 of 96); with 0.02 it fell to 4 of 96
 * (2 of 96 from a second parent, 16 before), with no image routed confidently to a wrong category.
 */
export const DEFAULT_FINETUNE_LABEL_SMOOTHING = 0.02;

/** A classifier parent (ParentRunOptions.model) and the classifier fine-tune's own settings. */
export interface ClassifierFinetuneOptions extends ParentRunOptions {
  /** Share of each category's draws that are defective images, in [0, 1] (default 0.5). */
  defectShare?: number;
  /** Routing threshold the metrics and the best-epoch score use (default infer's --min-confidence, 0.85). */
  minConfidence?: number;
  /** Label smoothing of the fine-tune's cross-entropy (default DEFAULT_FINETUNE_LABEL_SMOOTHING). */
  labelSmoothing?: number;
}

export type ClassifierFinetuneMetrics = ClassifierRoutingMetrics;

export interface ClassifierFinetuneDelta {
  accuracy: number | null;
  defectMeanConfidence: number | null;
  defectBelowThreshold: number | null;
  normalMeanConfidence: number | null;
  normalBelowThreshold: number | null;
}

export interface ClassifierFinetuneResult extends TrainingRunResult {
  kind: typeof CLASSIFIER_KIND;
  /** The classifier's artifact category (train-classifier's 'all'). */
  category: string;
  parent: { kind: string; category: string; version: number; dir: string };
  /** The classifier's categories (softmax column order). */
  categories: string[];
  settings: { epochs: number; batchSize: number; lr: number; valFraction: number; seed: number; defectShare: number; labelSmoothing: number; minConfidence: number };
  metrics: {
    /** The parent on the fine-tune's validation set. */
    before: ClassifierFinetuneMetrics;
    /** The saved (best) epoch on the same set. */
    after: ClassifierFinetuneMetrics & { bestEpoch: number | null };
    /** after - before. */
    delta: ClassifierFinetuneDelta;
  };
  data: ClassifierFinetuneCounts & { perCategory: Record<string, ClassifierFinetuneCounts>; ignoredCategories: string[] };
}

/** Options of the submodel fine-tune that mean nothing to the classifier, by flag. */
const DETECTOR_ONLY = { realRatio: '--real-ratio', lambda: '--lambda', textures: '--textures', featureBudgetBytes: 'featureBudgetBytes' } as const;

/** E_USAGE naming every submodel-only option that was set, for a classifier parent. */
export function rejectDetectorOptions(opts: Partial<Record<keyof typeof DETECTOR_ONLY, unknown>>, dir: string): void {
  const given = (Object.keys(DETECTOR_ONLY) as (keyof typeof DETECTOR_ONLY)[]).filter((k) => opts[k] !== undefined).map((k) => DETECTOR_ONLY[k]);
  if (given.length === 0) return;
  throw new MadenetError('E_USAGE', `${given.join(', ')} ${given.length === 1 ? 'applies' : 'apply'} to SRAD, SFAD and LPD only; --model ${dir} is the pre-classifier.`, {
    suggestions: ['Leave them out: the classifier trains on real normal and defective images only, and picks its best epoch by routing accuracy.'],
  });
}

type ClassifierFinetuneCheckpointExtra = BestEpochExtra<ClassifierRoutingMetrics>;

/** Fine-tunes the classifier `opts.model` names; `loaded` skips reading its manifest again. */
export async function finetuneClassifier(opts: ClassifierFinetuneOptions, loaded?: LoadedArtifact): Promise<ClassifierFinetuneResult> {
  const started = performance.now();
  const parent = loaded ? classifierParentOf(loaded) : await loadClassifierParent(opts.model);
  const s = finetuneSettings(opts, parent);
  const warnings: string[] = [];
  if (s.valFraction !== parent.defaults.valFraction || s.seed !== parent.defaults.seed) {
    warnings.push(
      `The validation split (--val-fraction ${s.valFraction}, --seed ${s.seed}) differs from the parent's (${parent.defaults.valFraction}, ${parent.defaults.seed}); some validation images may be images the parent was trained on.`,
    );
  }
  const dataset = await loadDataset(opts.data);
  const data = selectClassifierFinetuneData(dataset, parent.categories, { valFraction: s.valFraction, seed: s.seed });
  warnings.push(...data.warnings);
  const runtime = await startRuntime(opts);
  const plan = planFinetune(opts, parent, s, dataset.root, data);
  const { categories, imageSize, category, out } = plan;
  const target = { root: out, kind: `finetune-${CLASSIFIER_KIND}`, category, config: plan.runConfig, seed: s.seed, runtime };

  let model: tf.LayersModel | null = null;
  let optimizer: tf.Optimizer | null = null;
  // The run holds its checkpoint series' lock from restore() on; released whatever happens.
  let runLock: { dispose(): Promise<void> } | null = null;
  try {
    model = await buildParentClassifier(parent);
    const live = model;
    // The live network before any step holds exactly the parent's weights: that is the parent as saved.
    const before = await plan.measure(live);
    const opt = tf.train.adam(s.lr);
    optimizer = opt;
    const models = { model: live };
    const run = new TrainingRun<ClassifierFinetuneCheckpointExtra>(target, { models, optimizer: opt, checkpointEvery: s.checkpointEvery, started, warnings, freshStart: 'fine-tuning started from the parent', options: opts });
    runLock = run;

    const best = new BestEpoch<ClassifierRoutingMetrics>();
    const restored = await run.restore(opts.resume, best);
    if (restored) restoreDropCounters(live, restored.loop.step);
    const state = await run.loop(finetuneLoop(plan, s, { live, opt, best }));

    const { weights, evaluation: chosen } = best.chosen('Fine-tuning');
    const after = { ...chosen, bestEpoch: state.bestEpoch };
    const delta = deltaOf(before, after);
    const ref = await writeArtifact({
      // --resume of a finished run gives the same bytes again: keep the version it made, write no copy.
      reuseIdentical: opts.resume === true,
      root: out,
      kind: CLASSIFIER_KIND,
      category,
      config: plan.runConfig,
      seed: s.seed,
      datasetFingerprint: plan.fingerprint,
      runtime,
      metrics: { validation: after, before, after, delta, epochs: state.epoch, steps: state.step, history: state.history },
      parents: [parent.artifact.ref],
      models: weights,
      files: classifierArtifactFiles(categories, chosen.confusion),
    });
    const { epochs, batchSize, lr, valFraction, seed, defectShare, labelSmoothing, minConfidence } = s;
    return {
      artifact: { dir: ref.dir, version: ref.version },
      kind: CLASSIFIER_KIND,
      category,
      parent: plan.parentRef,
      imageSize,
      categories,
      settings: { epochs, batchSize, lr, valFraction, seed, defectShare, labelSmoothing, minConfidence },
      metrics: { before, after, delta },
      data: { ...data.totals, perCategory: data.counts, ignoredCategories: data.ignoredCategories },
      ...run.resultFields(state),
    };
  } finally {
    await runLock?.dispose();
    optimizer?.dispose();
    model?.dispose();
  }
}

/** The fine-tune's settings: the options given, else the parent's (or the fine-tune's own) defaults; checked. */
function finetuneSettings(opts: ClassifierFinetuneOptions, parent: ClassifierFinetuneParent) {
  const { epochs, batchSize, lr, valFraction, seed } = withParentDefaults(opts, parent.defaults, DEFAULT_CLASSIFIER_FINETUNE_EPOCHS);
  const defectShare = checkDefectShare(opts.defectShare ?? DEFAULT_DEFECT_SHARE);
  const minConfidence = opts.minConfidence ?? DEFAULT_MIN_CONFIDENCE;
  if (!(minConfidence >= 0 && minConfidence <= 1)) throw new MadenetError('E_USAGE', `minConfidence is ${minConfidence}; expected a number in [0, 1].`);
  const labelSmoothing = opts.labelSmoothing ?? DEFAULT_FINETUNE_LABEL_SMOOTHING;
  if (!(labelSmoothing >= 0 && labelSmoothing < 1)) throw new MadenetError('E_USAGE', `labelSmoothing is ${labelSmoothing}; expected a number in [0, 1).`);
  const checkpointEvery = opts.checkpointEvery ?? DEFAULT_CHECKPOINT_EVERY;
  checkTrainNumbers({ epochs, batchSize, lr, valFraction, checkpointEvery });
  return { epochs, batchSize, lr, valFraction, seed, defectShare, minConfidence, labelSmoothing, checkpointEvery };
}

type FinetuneSettings = ReturnType<typeof finetuneSettings>;
type FinetunePlan = ReturnType<typeof planFinetune>;

/** Step counts, schedule, the routing measure on the hold-out, and the config recorded with the run. */
function planFinetune(opts: ClassifierFinetuneOptions, parent: ClassifierFinetuneParent, s: FinetuneSettings, root: string, data: ClassifierFinetuneData) {
  const { epochs, batchSize, lr, valFraction, seed, defectShare, labelSmoothing, minConfidence } = s;
  const { categories } = data;
  const numClasses = categories.length;
  const imageSize = parent.model.imageSize;
  const category = parent.artifact.manifest.category;
  const stepsPerEpoch = Math.max(1, Math.floor(data.train.length / batchSize));
  const schedule: CosineSchedule = { baseLr: lr, totalSteps: epochs * stepsPerEpoch };
  const fingerprint = datasetFingerprint(data.train.map((x) => x.sample));
  const parentRef = { kind: CLASSIFIER_KIND, category, version: parent.artifact.ref.version, dir: parent.artifact.dir };
  const valOpts = { numClasses, size: imageSize, batchSize: Math.max(batchSize, 8) };
  const valLabels = data.validation.map((x) => x.label);
  const valDefective = data.validation.map((x) => x.sample.label === 1);
  const measure = async (model: tf.LayersModel): Promise<ClassifierRoutingMetrics> =>
    classifierRoutingMetrics(await classifierProbabilities(model, data.validation, valOpts), valLabels, valDefective, numClasses, minConfidence);
  const runConfig = {
    model: parent.model,
    categories,
    training: { epochs, batchSize, stepsPerEpoch, optimizer: 'adam', schedule: { kind: 'cosine', ...schedule }, sampling: 'class-balanced', defectShare, labelSmoothing, augment: ['hflip'] },
    finetune: { lr, epochs, batchSize, defectShare, labelSmoothing, minConfidence, parent: parentRef },
    validation: { valFraction, seed, source: 'train-split', heldOutNormals: data.totals.validationNormals, heldOutDefects: data.totals.validationDefects },
    data: { root, ...data.totals, ignoredCategories: data.ignoredCategories, fingerprint },
    parentConfig: parent.config,
  };
  const trainCfg = { ...parent.model, labelSmoothing };
  return { data, categories, numClasses, imageSize, category, out: resolve(opts.out ?? parent.root), stepsPerEpoch, schedule, fingerprint, parentRef, measure, runConfig, trainCfg };
}

/** The loop's inputs: defect-share batches, cosine learning rate, routing score on the hold-out for the best epoch. */
function finetuneLoop(
  plan: FinetunePlan,
  s: FinetuneSettings,
  m: { live: tf.LayersModel; opt: tf.Optimizer; best: BestEpoch<ClassifierRoutingMetrics> },
): RunLoopOptions<ClassifierBatchItems, ClassifierFinetuneCheckpointExtra> {
  const { data, numClasses, stepsPerEpoch, schedule, imageSize } = plan;
  const { live, best } = m;
  const models = { model: live };
  return {
    epochs: s.epochs,
    stepsPerEpoch,
    batches: (epoch) => classifierFinetuneBatches(data.train, numClasses, { seed: s.seed, epoch, count: stepsPerEpoch * s.batchSize, defectShare: s.defectShare, size: imageSize, batchSize: s.batchSize }),
    batchSize: (b) => b.images.length,
    lr: (step) => cosineLr(schedule, step),
    step: classifierLoopStep(live, m.opt, plan.trainCfg),
    validate: async (): Promise<Validation> => {
      const r = await plan.measure(live);
      best.measured(r);
      return { score: routingScore(r), metrics: epochMetrics(r) };
    },
    onBest: () => best.keep(models),
    checkpoint: () => best.checkpoint(),
  };
}

function epochMetrics(m: ClassifierRoutingMetrics): Record<string, number | null> {
  return {
    accuracy: m.accuracy,
    balancedAccuracy: m.balancedAccuracy,
    defectMeanConfidence: m.defects.meanConfidence,
    defectBelowThreshold: m.defects.belowThreshold,
    normalMeanConfidence: m.normals.meanConfidence,
    normalBelowThreshold: m.normals.belowThreshold,
  };
}

function deltaOf(before: ClassifierRoutingMetrics, after: ClassifierRoutingMetrics): ClassifierFinetuneDelta {
  const diff = (a: number | null, b: number | null): number | null => (a === null || b === null ? null : a - b);
  return {
    accuracy: diff(after.accuracy, before.accuracy),
    defectMeanConfidence: diff(after.defects.meanConfidence, before.defects.meanConfidence),
    defectBelowThreshold: diff(after.defects.belowThreshold, before.defects.belowThreshold),
    normalMeanConfidence: diff(after.normals.meanConfidence, before.normals.meanConfidence),
    normalBelowThreshold: diff(after.normals.belowThreshold, before.normals.belowThreshold),
  };
}
