// `madenet build-perfmap`: evaluates every given submodel artifact on its category's validation data (never
// the test split), chooses per category the argmax of lambda*AUROC + (1-lambda)*Pixel-AP, and saves the
// metrics, choice, margin, thresholds and exact artifact versions as <out>/perfmap/all/vNNNN.
import { join, resolve } from 'node:path';
import { loadArtifact, versionName, writeArtifact, type LoadedArtifact } from '../artifacts/index.js';
import { mkdir, readFile } from 'node:fs/promises';
import { artifactDir } from '../artifacts/store.js';
import { acquireLock, RUN_LOCK_FILE } from '../artifacts/lock.js';
import { MadenetError } from '../core/errors.js';
import type { Detector, SubmodelKind } from '../detectors/detector.js';
import { loadClassifierArtifact } from '../detectors/registry.js';
import { loadDetectorWithFeatureEngine } from '../detectors/engine-loader.js';
import type { AsyncDetector } from '../engines/async-detector.js';
import type { FeatureEngineChoice, FeatureEngineUsed } from '../features/onnx-features.js';
import { isSubmodelKind, submodelKinds } from '../submodels/registry.js';
import { DEFAULT_TARGET_FPR } from '../eval/threshold.js';
import { datasetFingerprint, loadDataset } from '../io/dataset.js';
import { tileDataset, type TileSpec, type TilingRecord } from '../io/tiles.js';
import { initRuntime, type BackendRequest } from '../runtime/backend.js';
import { TextureBank } from '../synth/texture-bank.js';
import { CLASSIFIER_KIND, type ClassifierLoader } from '../infer/classifier-contract.js';
import { pointerTo, type ArtifactPointer } from '../perfmap/artifact-pointer.js';
import { checkLambda, choose } from '../perfmap/choose.js';
import { evaluateCandidates, type CandidateEvaluation } from '../perfmap/evaluate-candidates.js';
import { chooseFallback } from '../perfmap/fallback.js';
import {
  PERFMAP_CATEGORY,
  PERFMAP_FILE,
  PERFMAP_KIND,
  PERFMAP_SCHEMA,
  type CandidateMetrics,
  type CategoryEntry,
  type ClassifierPointer,
  type PerfMap,
} from '../perfmap/schema.js';
import { defectCount, planFromValidationData, planValidation, type ValidationPlan } from '../perfmap/validation-set.js';
import type { Dataset } from '../io/dataset.js';

export interface BuildPerfmapOptions {
  /** Dataset root (MVTec layout, ManuDefect-21 extension, or manifest). */
  data: string;
  /** Submodel artifact directories (vNNNN, or <kind>/<category> with LATEST). */
  models: string[];
  /** Optional pre-classifier artifact that infer will route with. */
  classifier?: string;
  /** Weight of image AUROC against Pixel-AP, in [0, 1]. */
  lambda: number;
  /** False-alarm target of normal-only thresholds; default 0.01. */
  targetFpr?: number;
  /** Fraction of train normals held out for validation; default 0.2 (at most 64 images). */
  valFraction?: number;
  seed: number;
  /** Artifact root; the map goes to <out>/perfmap/all/vNNNN. */
  out: string;
  /**
   * A small labelled folder of real defects (MVTec layout or manifest; masks optional), used in preference to
   * the train defects or synthetic ones for every category it has defects of.
   */
  validationData?: string;
  /** Only these categories; default every category of the dataset. */
  categories?: string[];
  batchSize?: number;
  /** Folder of texture images for synthetic defects; default the built-in procedural set. */
  textures?: string;
  backend?: BackendRequest;
  threads?: number;
  /**
   * What runs a PatchCore model's frozen backbone during validation (as train-patchcore's --feature-engine): auto
   * (onnxruntime when it loads and converts the backbone, else tfjs), onnx or tfjs. Other kinds validate in tfjs.
   */
  featureEngine?: FeatureEngineChoice;
  /** Injectable for tests; default detectors/engine-loader.ts (the registry's, with the feature engine). */
  loadDetector?: (dir: string) => Promise<Detector | AsyncDetector>;
  loadClassifier?: ClassifierLoader;
  onProgress?: (p: { category: string; done: number; total: number }) => void;
}

export interface BuildPerfmapResult {
  artifact: { dir: string; version: number };
  perfmap: PerfMap;
  warnings: string[];
  /** The models whose frozen features had an engine choice (PatchCore): which ran, and why auto fell back. */
  featureEngines: ({ dir: string } & FeatureEngineUsed)[];
}

export async function buildPerfmap(opts: BuildPerfmapOptions): Promise<BuildPerfmapResult> {
  // One build per perfmap series at a time (like a training run on its checkpoint series): a second one is refused.
  const series = artifactDir(resolve(opts.out), PERFMAP_KIND, PERFMAP_CATEGORY);
  await mkdir(series, { recursive: true });
  const release = await acquireLock(series, { file: RUN_LOCK_FILE, command: 'build-perfmap' });
  try {
    return await buildUnlocked(opts);
  } finally {
    await release();
  }
}

async function buildUnlocked(opts: BuildPerfmapOptions): Promise<BuildPerfmapResult> {
  const s = checkedSettings(opts);
  const runtime = await initRuntime({ backend: opts.backend ?? 'auto', threads: opts.threads ?? 0 });
  const dataset = await loadDataset(opts.data, opts.categories ? { categories: opts.categories } : {});
  const categories = dataset.categories;
  const warnings: string[] = [];
  const validationData = opts.validationData ? await loadValidationData(opts.validationData, dataset, categories, warnings) : null;
  const usedValidationData: string[] = [];
  // Any version name gives the same relative paths: every vNNNN sits at the same depth.
  const perfmapDir = join(resolve(opts.out), PERFMAP_KIND, PERFMAP_CATEGORY, versionName(0));
  const byCategory = await modelsByCategory(opts, categories, warnings);
  const classifier = opts.classifier ? await classifierPointer(opts.classifier, perfmapDir, opts.loadClassifier ?? loadClassifierArtifact) : null;
  if (classifier) warnings.push(...classifierCoverage(classifier, categories));

  const featureEngines: BuildPerfmapResult['featureEngines'] = [];
  const featureEngine = opts.featureEngine ?? 'auto';
  const load =
    opts.loadDetector ??
    ((dir: string) =>
      loadDetectorWithFeatureEngine(dir, featureEngine, {
        threads: opts.threads ?? 0,
        onEngine: (at, used) => {
          featureEngines.push({ dir: at, ...used });
          if (used.reason) warnings.push(`${at}: the frozen backbone ran in tfjs, not onnxruntime (${used.reason}).`);
        },
      }));
  const measure = { opts, settings: s, perfmapDir, banks: new Map<number, TextureBank>(), warnings, load };
  const entries: Record<string, CategoryEntry> = {};
  for (const category of categories) {
    const planOpts = { valFraction: s.valFraction, seed: opts.seed };
    // Models trained on tiles are validated on tiles of the held-out images, as their trainer validated them.
    const tiled = await tileDataset(dataset, category, await candidatesTiling(category, (byCategory.get(category) ?? []).map((g) => g.artifact.dir)), opts.seed);
    const plan = (validationData && planFromValidationData(validationData, tiled, category, planOpts)) || planValidation(tiled, category, planOpts);
    if (plan.source === 'validation-data') usedValidationData.push(category);
    else if (validationData) warnings.push(`${category}: --validation-data has no defect of it; validated on ${plan.source === 'synthetic' ? 'synthetic' : 'train-split'} defects instead.`);
    entries[category] = await measureCategory(measure, category, plan, byCategory.get(category) ?? []);
  }

  const perfmap: PerfMap = {
    schema: PERFMAP_SCHEMA,
    lambda: s.lambda,
    targetFpr: s.targetFpr,
    valFraction: s.valFraction,
    seed: opts.seed,
    data: dataset.root,
    datasetFingerprint: datasetFingerprint(dataset.samples),
    validationData: validationData ? { root: validationData.root, fingerprint: datasetFingerprint(validationData.samples), categories: usedValidationData } : null,
    classifier,
    categories: entries,
    fallback: chooseFallback(entries),
  };
  const parents: ArtifactPointer[] = [...(classifier ? [classifier] : []), ...Object.values(entries).flatMap((e) => e.candidates.map((c) => c.artifact))];
  const ref = await writeArtifact({
    root: resolve(opts.out),
    kind: PERFMAP_KIND,
    category: PERFMAP_CATEGORY,
    config: { lambda: s.lambda, targetFpr: s.targetFpr, valFraction: s.valFraction, batchSize: s.batchSize, categories, validationData: validationData?.root ?? null, models: opts.models.map((m) => resolve(m)), classifier: opts.classifier ? resolve(opts.classifier) : null, textures: opts.textures ?? 'procedural' },
    seed: opts.seed,
    datasetFingerprint: perfmap.datasetFingerprint,
    metrics: Object.fromEntries(Object.entries(entries).map(([c, e]) => [c, { chosen: e.chosen, objective: e.candidates[0]?.objective ?? null, margin: e.margin }])),
    parents,
    runtime,
    files: { [PERFMAP_FILE]: `${JSON.stringify(perfmap, null, 2)}\n` },
  });
  return { artifact: { dir: ref.dir, version: ref.version }, perfmap, warnings, featureEngines };
}

interface PerfmapSettings {
  lambda: number;
  targetFpr: number;
  valFraction: number;
  batchSize: number;
}

function checkedSettings(opts: BuildPerfmapOptions): PerfmapSettings {
  const lambda = checkLambda(opts.lambda);
  const targetFpr = opts.targetFpr ?? DEFAULT_TARGET_FPR;
  if (!(targetFpr >= 0 && targetFpr < 1)) throw new MadenetError('E_USAGE', `--target-fpr is ${targetFpr}; expected a number in [0, 1).`);
  const valFraction = opts.valFraction ?? 0.2;
  const batchSize = opts.batchSize ?? 8;
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new MadenetError('E_USAGE', `--batch-size is ${batchSize}; expected an integer >= 1.`);
  if (opts.models.length === 0) throw new MadenetError('E_USAGE', 'No --model given; expected at least one submodel artifact directory.');
  return { lambda, targetFpr, valFraction, batchSize };
}

type GivenModel = { kind: SubmodelKind; artifact: LoadedArtifact };

/** The --model artifacts by category: at most one per kind, at least one for every category of the map. */
async function modelsByCategory(opts: BuildPerfmapOptions, categories: readonly string[], warnings: string[]): Promise<Map<string, GivenModel[]>> {
  const byCategory = new Map<string, GivenModel[]>();
  for (const path of opts.models) {
    const artifact = await loadArtifact(path);
    const { kind, category } = artifact.manifest;
    if (!isSubmodelKind(kind)) {
      throw new MadenetError('E_ARTIFACT', `--model ${path} is a '${kind}' artifact; expected a submodel (${submodelKinds().join(', ')}).`, {
        suggestions: kind === CLASSIFIER_KIND ? ['Pass the classifier with --classifier instead.'] : [],
      });
    }
    if (!categories.includes(category)) {
      if (opts.categories) {
        warnings.push(`--model ${path} is for category ${category}, which is not selected; it was left out.`);
        continue;
      }
      throw new MadenetError('E_DATASET', `--model ${path} is for category ${category}, which is not in ${opts.data}; expected one of: ${categories.join(', ')}.`);
    }
    const list = byCategory.get(category) ?? [];
    const same = list.find((c) => c.kind === kind);
    if (same) {
      throw new MadenetError('E_USAGE', `Two ${kind} artifacts for category ${category}: ${same.artifact.dir} and ${artifact.dir}; expected at most one per kind and category.`);
    }
    list.push({ kind, artifact });
    byCategory.set(category, list);
  }
  const missing = categories.filter((c) => !byCategory.has(c));
  if (missing.length > 0) {
    throw new MadenetError('E_PERFMAP', `No usable model for category ${missing.join(', ')}: none of --model is for it; expected at least one srad, sfad or lpd artifact per category.`, {
      suggestions: ['Train a submodel for it, or restrict the map with --category.'],
    });
  }
  return byCategory;
}

/** Warnings for categories the classifier and the map do not share. */
function classifierCoverage(classifier: ClassifierPointer, categories: readonly string[]): string[] {
  const warnings: string[] = [];
  const unknown = classifier.categories.filter((c) => !categories.includes(c));
  const unrouted = categories.filter((c) => !classifier.categories.includes(c));
  if (unknown.length > 0) warnings.push(`The classifier also knows ${unknown.join(', ')}, which this map has no model for; infer cannot score images classified so.`);
  if (unrouted.length > 0) warnings.push(`The classifier does not know ${unrouted.join(', ')}; images of it need --category (or a category on their input line) at infer time.`);
  return warnings;
}

/** What measureCategory shares across categories: texture banks by image size, and the warnings list. */
interface MeasureContext {
  opts: BuildPerfmapOptions;
  settings: PerfmapSettings;
  perfmapDir: string;
  banks: Map<number, TextureBank>;
  warnings: string[];
  /** The models' loader (PatchCore's frozen backbone on the chosen feature engine). */
  load: (dir: string) => Promise<Detector | AsyncDetector>;
}

/** Evaluates one category's models on its validation plan and ranks them. */
async function measureCategory(m: MeasureContext, category: string, plan: ValidationPlan, given: GivenModel[]): Promise<CategoryEntry> {
  const { opts, banks } = m;
  const detectors: (Detector | AsyncDetector)[] = [];
  try {
    for (const g of given) detectors.push(await m.load(g.artifact.dir));
    const size = Math.max(...detectors.map((d) => d.imageSize));
    if (!banks.has(size)) banks.set(size, await TextureBank.forRun(opts.textures, size, opts.seed));
    const total = 2 * defectCount(plan) + plan.normals.length;
    const evals = await evaluateCandidates(plan, detectors, {
      size,
      batchSize: m.settings.batchSize,
      targetFpr: m.settings.targetFpr,
      textures: banks.get(size) as TextureBank,
      onBatch: (done) => opts.onProgress?.({ category, done, total }),
    });
    const candidates: CandidateMetrics[] = [];
    for (const [i, g] of given.entries()) {
      const e = evals[i];
      const d = detectors[i] as Detector | AsyncDetector;
      if (!e) continue;
      candidates.push({
        kind: g.kind,
        artifact: await pointerTo(g.artifact, m.perfmapDir),
        imageSize: d.imageSize,
        imageAuroc: e.imageAuroc,
        pixelAp: e.pixelAp,
        objective: null,
        threshold: e.threshold,
        mapRange: e.mapRange,
        scoreScale: e.scoreScale,
        maskThreshold: e.maskThreshold,
      });
    }
    return rankCandidates(m, category, { source: plan.source, size, first: evals[0] }, candidates);
  } finally {
    for (const d of detectors) d.dispose();
  }
}

/** Chooses among a category's measured candidates (best first) and notes masks missing and ties. */
function rankCandidates(
  m: MeasureContext,
  category: string,
  v: { source: ValidationPlan['source']; size: number; first: CandidateEvaluation | undefined },
  candidates: CandidateMetrics[],
): CategoryEntry {
  const { warnings } = m;
  const lambda = m.settings.lambda;
  const masked = v.first?.maskedDefects ?? 0;
  const defects = v.first?.defects ?? 0;
  // objectiveOf falls back to image AUROC per candidate when Pixel-AP is null, which happens for all of them
  // together exactly when no validation defect has a mask.
  const objective = masked === 0 ? 'image-auroc' : 'lambda';
  if (masked === 0 && defects > 0) {
    warnings.push(`${category}: no validation defect has a mask (image-level labels); chose by image AUROC only (lambda ${lambda} ignored).`);
  } else if (masked < defects) {
    warnings.push(`${category}: Pixel-AP covers the ${masked} of ${defects} validation defects that have a mask.`);
  }
  const choice = choose(candidates, lambda);
  candidates.forEach((c, i) => (c.objective = choice.objectives[i] ?? null));
  if (choice.ranking.length === 0) {
    throw new MadenetError('E_PERFMAP', `No usable model for category ${category}: no candidate has an image AUROC on its validation set (${v.first?.normals ?? 0} normals, ${v.first?.defects ?? 0} defects).`);
  }
  const ranked = [...choice.ranking, ...candidates.map((_, i) => i).filter((i) => !choice.ranking.includes(i))].map((i) => candidates[i] as CandidateMetrics);
  if (choice.tie) warnings.push(`${category}: ${ranked[0]?.kind} and ${ranked[1]?.kind} tie on the objective; ${ranked[0]?.kind} was kept (higher image AUROC, or given first).`);
  return {
    validation: { source: v.source, normals: v.first?.normals ?? 0, defects, masked, size: v.size, objective },
    chosen: (ranked[0] as CandidateMetrics).kind,
    runnerUp: choice.ranking.length > 1 ? (ranked[1] as CandidateMetrics).kind : null,
    margin: choice.margin,
    tie: choice.tie,
    candidates: ranked,
  };
}

/**
 * Loads --validation-data. Categories the map does not cover are named and ignored; an image that is also a
 * test-split image of --data is refused, since the choice would then be made on the images it is judged by.
 */
async function loadValidationData(path: string, dataset: Dataset, categories: readonly string[], warnings: string[]): Promise<Dataset> {
  const validation = await loadDataset(path);
  const extra = validation.categories.filter((c) => !categories.includes(c));
  if (extra.length > 0) warnings.push(`--validation-data ${path} has categories ${extra.join(', ')}, which this map does not cover; they were ignored.`);
  const test = new Set(dataset.samples.filter((s) => s.split === 'test').map((s) => s.path));
  const shared = validation.samples.filter((s) => test.has(s.path));
  if (shared.length > 0) {
    throw new MadenetError('E_DATASET', `--validation-data ${path} holds ${shared.length} test-split image(s) of ${dataset.root}, e.g. ${shared[0]?.path}; expected validation images kept apart from the test split.`, {
      suggestions: ['Move a few labelled defects (and normals) into their own folder, e.g. <validation>/<category>/test/<defect-type>, and leave them out of the test split.'],
    });
  }
  const errors = validation.problems.filter((p) => p.severity === 'error');
  for (const e of errors.slice(0, 3)) warnings.push(`--validation-data: ${e.message}`);
  return validation;
}

async function classifierPointer(path: string, perfmapDir: string, load: ClassifierLoader): Promise<ClassifierPointer> {
  const artifact = await loadArtifact(path);
  if (artifact.manifest.kind !== CLASSIFIER_KIND) {
    throw new MadenetError('E_ARTIFACT', `--classifier ${path} is a '${artifact.manifest.kind}' artifact; expected one written by train-classifier (kind '${CLASSIFIER_KIND}').`);
  }
  const model = await load(artifact.dir);
  try {
    return { ...(await pointerTo(artifact, perfmapDir)), categories: [...model.categories], imageSize: model.imageSize };
  } finally {
    model.dispose();
  }
}

/** The tiling the candidates of a category were trained with (config.data.tiling), the same for all, or null. */
async function candidatesTiling(category: string, dirs: readonly string[]): Promise<TileSpec | null> {
  const specs = await Promise.all(
    dirs.map(async (dir) => {
      const t = (JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8')) as { config?: { data?: { tiling?: TilingRecord | null } } }).config?.data?.tiling;
      return t && t.tile > 0 ? { tile: t.tile, overlap: t.overlap, maxTilesPerImage: t.maxTilesPerImage } : null;
    }),
  );
  const key = (t: TileSpec | null): string => (t ? `--tile ${t.tile} --tile-overlap ${t.overlap}` : 'whole images');
  const first = specs[0] ?? null;
  const other = specs.findIndex((t) => key(t) !== key(first));
  if (other >= 0) {
    throw new MadenetError('E_PERFMAP', `The models for category ${category} were trained on different inputs: ${dirs[0]} on ${key(first)}, ${dirs[other]} on ${key(specs[other] ?? null)}; expected one tiling per category, so that their validation scores compare.`, {
      suggestions: ['Train every submodel of the category with the same --tile and --tile-overlap (or none).'],
    });
  }
  return first;
}
