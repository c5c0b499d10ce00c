// `madenet infer`: classifies each image, routes it through the performance map to a submodel, and appends
// predictions.jsonl (maps and overlays optional) under a lock on --out; resumable, shardable, streaming.
import { join } from 'node:path';
import { sha256File } from '../artifacts/files.js';
import { MANIFEST_FILE } from '../artifacts/index.js';
import { lockOutputFolder } from '../artifacts/output-folder.js';
import { MadenetError } from '../core/errors.js';
import type { Detector, SubmodelKind } from '../detectors/detector.js';
import { isSubmodelKind, submodelKinds } from '../submodels/registry.js';
import { defaultConcurrency } from '../io/sample-stream.js';
import { initRuntime, type BackendRequest } from '../runtime/backend.js';
import type { AsyncClassifier, AsyncDetector, EngineName } from '../engines/async-detector.js';
import { checkEngineProvider, loadClassifierWithEngine, type EngineChoice, type EngineRequest } from '../engines/engine-choice.js';
import { loadDetectorForEngine } from '../detectors/engine-loader.js';
import type { ExecutionProvider } from '../engines/execution-provider.js';
import { requireExecutionProvider } from '../engines/onnxruntime.js';
import type { Classifier, ClassifierLoader } from '../infer/classifier-contract.js';
import { DetectorCache } from '../infer/detector-cache.js';
import { inputRoot, inputSource, isStdinInput } from '../infer/input-source.js';
import { runPipeline, type PipelineCounts, type PipelineOptions } from '../infer/pipeline.js';
import { openPredictionLog, type PredictionLog } from '../infer/prediction-log.js';
import { categoriesWithoutFallback, DEFAULT_FALLBACK, DEFAULT_MIN_CONFIDENCE, missingFallback, type RouteReason } from '../infer/route.js';
import { removeOrphanTemps } from '../infer/map-files.js';
import { checkResumable, readRunRecord, RUN_SCHEMA, writeRunRecord, type RunRecord } from '../infer/run-record.js';
import { shardSize, takeShard, type Shard } from '../infer/shard.js';
import { resolvePointer } from '../perfmap/artifact-pointer.js';
import { checkTileOptions } from '../infer/tiler.js';
import { candidateOf, loadPerfMap, type CandidateMetrics, type PerfMap } from '../perfmap/schema.js';
import { writePredictionsCsv } from '../predictions/predictions-csv.js';

export interface InferOptions {
  /** Perfmap artifact: a vNNNN directory or <root>/perfmap/all (its LATEST). */
  perfmap: string;
  /** Glob, directory, single file, or '-' for a list on stdin. */
  input: string;
  out: string;
  /** Classifier confidence at or above which the category's chosen submodel is used; default 0.85. */
  minConfidence?: number;
  /** Submodel kind used when the classifier is less confident; default sfad. */
  fallback?: SubmodelKind;
  /** Every image is of this category: the classifier is not run. */
  category?: string;
  saveMaps?: boolean;
  saveOverlays?: boolean;
  resume?: boolean;
  shard?: Shard | null;
  batchSize?: number;
  /** Images decoded at once; default min(4, cores). */
  concurrency?: number;
  skipBadImages?: boolean;
  /** Submodels kept loaded at once; default 8. */
  maxModels?: number;
  backend?: BackendRequest;
  /**
   * auto: onnxruntime for artifacts with a parity-checked ONNX export (and the package), tfjs otherwise; PatchCore
   * (no export) runs its frozen backbone through onnxruntime where it loads (onnx: must; tfjs: never).
   */
  engine?: EngineRequest;
  /** tfjs wasm threads and onnxruntime intra-op threads (0 = one per core). */
  threads?: number;
  /** onnxruntime execution provider (default cpu); cuda needs engine onnx/auto and fails when unavailable. */
  executionProvider?: ExecutionProvider;
  stdin?: NodeJS.ReadableStream;
  cwd?: string;
  /** Aborting stops reading input; what was started is finished and written, then E_INTERRUPTED is thrown. */
  signal?: AbortSignal;
  /** Tile side in source pixels for small defects on large images; 0: no tiling; absent: each model's own (train --tile). */
  tile?: number;
  /** Fraction of a tile shared with its neighbour; default 0.25. */
  tileOverlap?: number;
  /** Injected loaders (tests) replace the engine choice. */
  loadDetector?: (dir: string) => Promise<Detector | AsyncDetector>;
  loadClassifier?: ClassifierLoader | ((dir: string) => Promise<AsyncClassifier>);
  onSkip?: (path: string, error: MadenetError) => void;
  /** Images done so far: predicted, skipped as bad, and passed over (already in the log on --resume, or repeated). */
  onProgress?: (predicted: number, skipped: number, passed: number) => void;
  /** The number of images this run (this shard) will see, once a glob or directory is listed; never called for stdin. */
  onTotal?: (images: number) => void;
}

export interface InferResult {
  out: string;
  predictions: string;
  /** predictions.csv beside predictions.jsonl: every line of the directory (all runs) as a table. */
  predictionsCsv: string;
  /** Every prediction in --out, this run's and those of earlier runs it resumed. */
  total: { predictions: number; anomalies: number };
  perfmap: { dir: string; version: number };
  shard: Shard | null;
  images: { seen: number; alreadyDone: number; duplicates: number; predicted: number; skipped: number };
  anomalies: number;
  routes: Record<RouteReason, number>;
  models: Record<SubmodelKind, number>;
  skipped: { path: string; code: string; message: string }[];
  /** Bytes of a torn last line cut before resuming. */
  cutTornBytes: number;
  decodeSize: number;
  batchSize: number;
  timing: {
    wallSeconds: number;
    imagesPerSecond: number;
    /** Busy seconds per stage; decode and write run concurrently with the rest, so they can exceed wall time. */
    stages: { decode: number; classify: number; score: number; write: number; load: number };
  };
  memory: { peakRssMb: number };
  backend: string;
  /** The engine and execution provider asked for, and what each loaded model ran on (and why). */
  engine: { requested: EngineRequest; executionProvider: ExecutionProvider; loaded: LoadedEngine[] };
}

/** One loaded model's engine; onnx ones also name the execution providers their session runs (['cuda','cpu']). */
export interface LoadedEngine {
  dir: string;
  engine: EngineName;
  reason: string;
  provider?: ExecutionProvider;
  executionProviders?: string[];
}

export async function infer(opts: InferOptions): Promise<InferResult> {
  const t0 = performance.now();
  const s = await checkedSettings(opts);
  const { perfmap, artifact } = await loadPerfMap(opts.perfmap);
  const route = routingPlan(opts, perfmap, artifact.dir, s);
  const runtime = await initRuntime({ backend: opts.backend ?? 'auto', threads: opts.threads ?? 0 });
  const engines = engineLoaders(opts, s);
  const { dir: out, release } = await lockOutputFolder(opts.out, 'infer');
  let classifier: Classifier | AsyncClassifier | null = null;
  const cache = new DetectorCache(artifact.dir, engines.loadDetector, opts.maxModels ?? 8);
  try {
    const perfmapRef = { dir: artifact.dir, version: artifact.manifest.version, manifestSha256: (await sha256File(join(artifact.dir, MANIFEST_FILE))).sha256 };
    const settings: RunSettings = { minConfidence: s.minConfidence, fallback: s.fallback, category: route.category, saveMaps: !!opts.saveMaps, saveOverlays: !!opts.saveOverlays, batchSize: s.batchSize, decodeSize: route.decodeSize, engine: s.engine, executionProvider: s.provider, tiling: s.tiling };
    const { log, record } = await startRun(out, opts, { schema: RUN_SCHEMA, perfmap: perfmapRef, shard: opts.shard ?? null, input: opts.input, settings });
    let counts: PipelineCounts;
    let loadSeconds = 0;
    try {
      if (route.useClassifier && perfmap.classifier) {
        const tl = performance.now();
        classifier = await loadRoutingClassifier(perfmap, artifact.dir, engines.loadClassifier);
        loadSeconds += (performance.now() - tl) / 1000;
      }
      counts = await runPipeline(pipelineOptions(opts, { perfmap, log, cache, classifier, out, settings, concurrency: s.concurrency }));
    } catch (err) {
      // The first failure is the one to report (a full disk), not what closing the log says after it.
      await log.close().catch(() => undefined);
      throw err;
    }
    await log.close();
    await finishRun(out, record, log.done.size + counts.predicted, counts);
    const table = await writePredictionsCsv(out);
    const wallSeconds = (performance.now() - t0) / 1000;
    return {
      out,
      predictions: log.path,
      predictionsCsv: table.file,
      total: { predictions: table.predictions, anomalies: table.anomalies },
      perfmap: { dir: artifact.dir, version: artifact.manifest.version },
      shard: record.shard,
      images: { seen: counts.seen, alreadyDone: counts.alreadyDone, duplicates: counts.duplicates, predicted: counts.predicted, skipped: counts.skipped },
      anomalies: counts.anomalies,
      routes: counts.routes,
      models: counts.models,
      skipped: counts.skippedExamples,
      cutTornBytes: log.cutTornBytes,
      decodeSize: route.decodeSize,
      batchSize: s.batchSize,
      timing: {
        wallSeconds,
        imagesPerSecond: wallSeconds > 0 ? counts.predicted / wallSeconds : 0,
        stages: { ...counts.stages, load: loadSeconds + cache.loadSeconds },
      },
      memory: { peakRssMb: counts.peakRssBytes / 2 ** 20 },
      backend: runtime.backend,
      engine: { requested: s.engine, executionProvider: s.provider, loaded: engines.loaded },
    };
  } finally {
    cache.disposeAll();
    classifier?.dispose();
    await release();
  }
}

/** The flag values infer checks before reading anything. */
interface InferSettings {
  minConfidence: number;
  fallback: SubmodelKind;
  batchSize: number;
  concurrency: number;
  tiling: { tile: number; overlap: number } | 'model' | null;
  engine: EngineRequest;
  provider: ExecutionProvider;
}

async function checkedSettings(opts: InferOptions): Promise<InferSettings> {
  const minConfidence = opts.minConfidence ?? DEFAULT_MIN_CONFIDENCE;
  if (!(minConfidence >= 0 && minConfidence <= 1)) throw new MadenetError('E_USAGE', `--min-confidence is ${minConfidence}; expected a number in [0, 1].`);
  const fallback = opts.fallback ?? DEFAULT_FALLBACK;
  if (!isSubmodelKind(fallback)) throw new MadenetError('E_USAGE', `--fallback is ${fallback}; expected one of ${submodelKinds().join(', ')}.`);
  const batchSize = opts.batchSize ?? 8;
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new MadenetError('E_USAGE', `--batch-size is ${batchSize}; expected an integer >= 1.`);
  const concurrency = opts.concurrency ?? defaultConcurrency();
  // Absent: each model as it was trained (its recorded --tile, else whole images).
  const tiling = opts.tile === undefined ? ('model' as const) : opts.tile > 0 ? { tile: opts.tile, overlap: opts.tileOverlap ?? 0.25 } : null;
  if (tiling && tiling !== 'model') {
    checkTileOptions(tiling.tile, tiling.overlap);
    // Overlays blend a square map over the resized image; a tiled map has the source's aspect ratio.
    if (opts.saveOverlays) throw new MadenetError('E_USAGE', '--save-overlays cannot be combined with --tile yet; expected one of them (the tiled map is saved with --save-maps).');
  }
  const engine = opts.engine ?? 'auto';
  const provider = opts.executionProvider ?? 'cpu';
  checkEngineProvider(engine, provider);
  // Before any output exists: an unusable provider fails the run instead of running it on the CPU.
  if (provider !== 'cpu') await requireExecutionProvider(provider);
  return { minConfidence, fallback, batchSize, concurrency, tiling, engine, provider };
}

/** How images will be routed: a forced category or the classifier, and the one size every image is decoded at. */
function routingPlan(opts: InferOptions, perfmap: PerfMap, perfmapDir: string, s: InferSettings): { category: string | null; useClassifier: boolean; decodeSize: number } {
  const categories = Object.keys(perfmap.categories);
  const category = opts.category ?? null;
  if (category !== null && !Object.hasOwn(perfmap.categories, category)) {
    throw new MadenetError('E_CATEGORY', `--assume-category ${category} is not in the performance map ${perfmapDir}; expected one of: ${categories.join(', ')}.`);
  }
  const useClassifier = category === null && perfmap.classifier !== null;
  if (category === null && perfmap.classifier === null && categories.length > 1 && !isStdinInput(opts.input)) {
    throw new MadenetError('E_USAGE', `The performance map ${perfmapDir} has no classifier and ${categories.length} categories, so images cannot be routed; expected --assume-category.`, {
      suggestions: ['Pass --assume-category NAME, list PATH<TAB>CATEGORY lines on stdin with --input -, or rebuild the map with --classifier.'],
    });
  }
  if (useClassifier && s.minConfidence > 0) {
    const lacking = categoriesWithoutFallback(perfmap, s.fallback);
    if (lacking.length > 0) throw missingFallback(lacking, s.fallback);
  }
  return { category, useClassifier, decodeSize: decodeSizeFor(perfmap, category, useClassifier, s.fallback) };
}

/** The model loaders (the injected ones, or the engine choice), recording what each loaded model runs on. */
function engineLoaders(opts: InferOptions, s: InferSettings) {
  const loaded: LoadedEngine[] = [];
  const engineOpts = { threads: opts.threads ?? 0, executionProvider: s.provider };
  const note = (choice: EngineChoice, providers: readonly string[] | undefined): void => {
    loaded.push({ dir: choice.dir, engine: choice.engine, reason: choice.reason, ...(choice.provider ? { provider: choice.provider } : {}), ...(providers ? { executionProviders: [...providers] } : {}) });
  };
  const noted =
    <M extends { choice: EngineChoice; executionProviders?: readonly string[] }>(load: (dir: string, request: EngineRequest, o: typeof engineOpts) => Promise<M>) =>
    async (dir: string): Promise<M> => {
      const m = await load(dir, s.engine, engineOpts);
      note(m.choice, m.executionProviders);
      return m;
    };
  const loadDetector = opts.loadDetector ?? noted(loadDetectorForEngine);
  const loadClassifier = opts.loadClassifier ?? noted(loadClassifierWithEngine);
  return { loaded, loadDetector, loadClassifier };
}

/** The settings infer.json records (checkResumable compares them on --resume). */
type RunSettings = {
  minConfidence: number;
  fallback: SubmodelKind;
  category: string | null;
  saveMaps: boolean;
  saveOverlays: boolean;
  batchSize: number;
  decodeSize: number;
  engine: EngineRequest;
  executionProvider: ExecutionProvider;
  tiling: InferSettings['tiling'];
};

type RunStart = Pick<RunRecord, 'schema' | 'perfmap' | 'shard' | 'input' | 'settings'>;

/** Checks a resume against the previous run, cleans up a killed run's files, opens the log and records the run as started. */
async function startRun(out: string, opts: InferOptions, start: RunStart): Promise<{ log: PredictionLog; record: RunRecord }> {
  const previous = await readRunRecord(out);
  if (opts.resume && previous) checkResumable(previous, { perfmap: start.perfmap, shard: start.shard, settings: start.settings }, out);
  // Files of a run killed mid-write (nobody else writes here while we hold the lock).
  await removeOrphanTemps(out);
  const log = await openPredictionLog(out, opts.resume ?? false);
  const record: RunRecord = {
    ...start,
    started: previous && opts.resume ? previous.started : new Date().toISOString(),
    finished: null,
    complete: false,
    predictions: null,
  };
  await writeRunRecord(out, record);
  return { log, record };
}

async function loadRoutingClassifier(perfmap: PerfMap, perfmapDir: string, load: NonNullable<InferOptions['loadClassifier']>): Promise<Classifier | AsyncClassifier> {
  const recorded = perfmap.classifier as NonNullable<PerfMap['classifier']>;
  const classifier = await load(await resolvePointer(recorded, perfmapDir));
  if (classifier.categories.join('\n') !== recorded.categories.join('\n')) {
    throw new MadenetError('E_PERFMAP', `The classifier now lists categories ${classifier.categories.join(', ')}; the perfmap recorded ${recorded.categories.join(', ')}.`);
  }
  return classifier;
}

interface PipelineParts {
  perfmap: PerfMap;
  log: PredictionLog;
  cache: DetectorCache;
  classifier: Classifier | AsyncClassifier | null;
  out: string;
  settings: RunSettings;
  concurrency: number;
}

function pipelineOptions(opts: InferOptions, p: PipelineParts): PipelineOptions {
  const shard = opts.shard ?? null;
  return {
    perfmap: p.perfmap,
    items: takeShard(
      inputSource(opts.input, {
        ...(opts.stdin ? { stdin: opts.stdin } : {}),
        ...(opts.cwd ? { cwd: opts.cwd } : {}),
        onListed: (n) => opts.onTotal?.(shardSize(n, shard)),
      }),
      shard,
    ),
    log: p.log,
    cache: p.cache,
    classifier: p.classifier,
    category: p.settings.category,
    policy: { minConfidence: p.settings.minConfidence, fallback: p.settings.fallback },
    decodeSize: p.settings.decodeSize,
    batchSize: p.settings.batchSize,
    concurrency: p.concurrency,
    outDir: p.out,
    inputRoot: inputRoot(opts.input, opts.cwd ?? process.cwd()),
    saveMaps: !!opts.saveMaps,
    saveOverlays: !!opts.saveOverlays,
    skipBadImages: !!opts.skipBadImages,
    tiling: p.settings.tiling,
    ...(opts.signal ? { signal: opts.signal } : {}),
    ...(opts.onSkip ? { onSkip: opts.onSkip } : {}),
    ...(opts.onProgress ? { onProgress: opts.onProgress } : {}),
  };
}

/** Records the run as complete, or as stopped (then E_INTERRUPTED: --resume continues it). */
async function finishRun(out: string, record: RunRecord, lines: number, counts: PipelineCounts): Promise<void> {
  if (counts.interrupted) {
    await writeRunRecord(out, { ...record, predictions: lines });
    throw new MadenetError('E_INTERRUPTED', `infer was stopped after ${counts.predicted} new predictions in ${out}; run it again with --resume to continue.`, { exit: 130 });
  }
  await writeRunRecord(out, { ...record, finished: new Date().toISOString(), complete: true, predictions: lines });
}

/** One decode size for every image: the largest input any reachable model (or the classifier) wants. */
function decodeSizeFor(perfmap: PerfMap, category: string | null, useClassifier: boolean, fallback: SubmodelKind): number {
  const cats = category !== null ? [category] : Object.keys(perfmap.categories);
  const reachable: CandidateMetrics[] = cats.flatMap((c) => {
    const entry = perfmap.categories[c];
    if (!entry) return [];
    const chosen = candidateOf(perfmap, c, entry.chosen);
    const fb = useClassifier ? candidateOf(perfmap, c, fallback) : undefined;
    return [chosen, fb].filter((x): x is CandidateMetrics => x !== undefined);
  });
  const sizes = reachable.map((c) => c.imageSize);
  if (useClassifier && perfmap.classifier) sizes.push(perfmap.classifier.imageSize);
  return Math.max(...sizes);
}
