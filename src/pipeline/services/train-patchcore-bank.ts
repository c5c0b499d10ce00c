// `madenet train-patchcore` on one backbone (train-patchcore.ts dispatches; an ensemble builds its members here): builds a PatchCore memory bank for one category: frozen-backbone patch features of
// the train normals (computed once, optionally through an on-disk feature cache), a seeded greedy coreset, the
// score standardisation and threshold from the same validation build-perfmap uses (never the test split), saved
// as <out>/patchcore/<category>/vNNNN. There is no gradient training, hence no epochs and no checkpoints.
import * as tf from '@tensorflow/tfjs';
import { resolve } from 'node:path';
import { coresetSize, PATCHCORE_BACKBONE_DEFAULTS, PATCHCORE_DEFAULTS, patchcoreConfig, TILED_SCORE_TOP_FRACTION, type PatchcoreConfig } from '../submodels/patchcore/model/config.js';
import { greedyCoreset, groupCoresetSizes, groupedGreedyCoreset } from '../submodels/patchcore/model/coreset.js';
import { patchcoreDistances, patchcoreFeatures, patchcoreFeaturesFromMaps, patchScoreTerm, type PatchcoreBanks } from '../submodels/patchcore/model/model.js';
import { mapTensors, patchcoreOnnxDetector } from '../submodels/patchcore/onnx-detector.js';
import { patchcoreAnomalyMap, type ScoreNormalization } from '../submodels/patchcore/model/anomaly-map.js';
import { modelArtifactsOf, writeArtifact } from '../artifacts/index.js';
import { MadenetError } from '../core/errors.js';
import { PATCHCORE_BANK_FILE, PATCHCORE_GLOBAL_BANK_FILE, PATCHCORE_KIND, patchcoreDetector, type PatchcoreArtifactConfig } from '../submodels/patchcore/detector.js';
import { extractOnce } from '../features/extract.js';
import { chooseFeatureEngine, onnxBackboneMaps, type FeatureEngineChoice, type FeatureEngineUsed, type OnnxBackboneMaps } from '../features/onnx-features.js';
import { memoizeAsyncDetector } from '../features/frozen-memo.js';
import { tfjsAsyncDetector, type AsyncDetector } from '../engines/async-detector.js';
import { extractorKey, FeatureCache } from '../features/feature-cache.js';
import { tileDataset, tilingRecord, type TileSpec } from '../io/tiles.js';
import { datasetFingerprint, loadDataset, type Sample } from '../io/dataset.js';
import { encodeNpy } from '../io/npy.js';
import { planValidation, type ValidationPlan } from '../perfmap/validation-set.js';
import type { RuntimeInfo, BackendRequest } from '../runtime/backend.js';
import { TextureBank } from '../synth/texture-bank.js';
import { imagesToTensor } from '../train/tensors.js';
import { thresholdsFile, validateDetector, VALIDATION_LAMBDA, type DetectorTrainingMetrics } from '../train/train-detector-validation.js';
import { DEFAULT_VAL_FRACTION } from '../train/train-options.js';
import { startRuntime } from '../train/train-run.js';
import { trainNormalsOutside } from '../train/train-split.js';
import { defaultLayersOf, loadFeatureExtractor, type BackboneProvenance, type FeatureExtractorSource } from '../weights/backbone-registry.js';
import { concatRows } from '../core/float-rows.js';
import { meanAndSpread } from '../core/moments.js';
import { placeKey } from '../io/tile-calibration.js';
import { patchcoreTileCalibration } from './patchcore-tile-calibration.js';

export const DEFAULT_FEATURE_CACHE_MB = 2048;

export const CORESET_SCOPES = ['all', 'tile-place'] as const;
export type CoresetScope = (typeof CORESET_SCOPES)[number];
/**
 * train-patchcore's --backbone default: the ensemble of the packaged MobileNetV2 and InceptionV3 (each with its
 * PATCHCORE_BACKBONE_DEFAULTS), the validation best (bench/results/patchcore.md); its features run through
 * onnxruntime, which keeps its training within minutes of CPU on the full MVTec transistor.
 */
export const PATCHCORE_DEFAULT_BACKBONE: string = 'npm:nsfwjs/mobilenet_v2+npm:nsfwjs/inception_v3';

export interface TrainPatchcoreOptions {
  data: string;
  category: string;
  /** Artifact root: <out>/patchcore/<category>/vNNNN. */
  out: string;
  seed?: number;
  backend?: BackendRequest;
  threads?: number;
  /** Backbone id (see `madenet weights list`); default npm:nsfwjs/mobilenet_v2. */
  backbone?: string;
  layers?: string[];
  /** A layer for the global (whole-image) kNN term, or null for none; default the backbone's. */
  globalLayer?: string | null;
  globalWeight?: number;
  /** Weight of the patch position channels (see PatchcoreConfig.positionWeight). */
  positionWeight?: number;
  /** Patch term of the image score (see PatchcoreConfig.scoreTopFraction). */
  scoreTopFraction?: number;
  imageSize?: number;
  coresetRatio?: number;
  maxBankRows?: number;
  valFraction?: number;
  textures?: string;
  batchSize?: number;
  /** Folder of the content-addressed feature cache (null/undefined: no cache). */
  featureCache?: string | null;
  featureCacheMb?: number;
  /**
   * What runs the frozen backbone (train features, held-out features, validation): onnxruntime-node on the CPU,
   * tfjs, or auto (onnx on the wasm/cpu backends when onnxruntime-node can run the backbone, else tfjs). Default auto.
   */
  featureEngine?: FeatureEngineChoice;
  /** Build the bank from overlapping tiles of the train images (validation too) instead of whole images; null: whole images. */
  tile?: TileSpec | null;
  /**
   * What one greedy coreset runs over: 'all' train patches at once, or 'tile-place' (with `tile` only): the
   * patches of the tiles of each place (tile region) separately at the same ratio, the bank their union; greedy
   * costs rows x kept rows, so that is (number of places) times cheaper. Default 'tile-place' with `tile`, else 'all'.
   */
  coresetScope?: CoresetScope;
  onProgress?: (p: { phase: string; done: number; total: number }) => void;
}

export interface TrainPatchcoreResult {
  artifact: { dir: string; version: number };
  category: string;
  imageSize: number;
  backbone: string;
  provenance: BackboneProvenance;
  layers: string[];
  globalLayer: string | null;
  trainImages: number;
  /** Train patches before and rows after the coreset. */
  patchRows: number;
  bankRows: number;
  /** What each greedy coreset ran over, and how many it ran (one per tile place with 'tile-place'). */
  coreset: { scope: CoresetScope; groups: number };
  featureDim: number;
  metrics: DetectorTrainingMetrics;
  validation: { source: string; normals: number; defects: number };
  normalization: ScoreNormalization | null;
  timings: { featuresSeconds: number; coresetSeconds: number; validationSeconds: number };
  /** Wall seconds of the whole run, and train images per second over it. */
  seconds: number;
  imagesPerSecond: number;
  featureCache: { dir: string; hits: number; misses: number; evicted: number } | null;
  /** Which engine ran the backbone, and why auto fell back to tfjs (null when it did not). */
  featureEngine: FeatureEngineUsed;
  runtime: RuntimeInfo;
  warnings: string[];
}

/** What an ensemble member may set differently from the shared options (train-patchcore-ensemble.ts). */
export type PatchcoreMemberSettings = Pick<TrainPatchcoreOptions, 'backbone' | 'layers' | 'globalLayer' | 'globalWeight' | 'positionWeight' | 'scoreTopFraction' | 'coresetRatio' | 'maxBankRows'>;

/** train-patchcore on one backbone: the bank built, its artifact written, the live models released. */
export async function trainPatchcoreBank(opts: TrainPatchcoreOptions): Promise<TrainPatchcoreResult> {
  const built = await buildPatchcore(opts);
  await built.release();
  return built.result;
}

/** Bytes of validation scores and maps a built PatchCore keeps (memoizeAsyncDetector): ~48 MB at 256 px for 43 + 86 images. */
const VALIDATION_MEMO_BYTES = 512 * 2 ** 20;

/** A trained PatchCore (artifact written) with its validation detector still live, for an ensemble to reuse. */
export interface BuiltPatchcore {
  result: TrainPatchcoreResult;
  /** The detector validation ran, its outputs remembered per image: the held-out normals and synthetic defects read back. */
  validator: AsyncDetector;
  /** Releases the backbone, the onnxruntime session and the banks. */
  release(): Promise<void>;
}

/** train-patchcore without releasing the live models: the artifact is written; `release` must be called. */
export async function buildPatchcore(opts: TrainPatchcoreOptions, { member = false }: { member?: boolean } = {}): Promise<BuiltPatchcore> {
  const started = performance.now();
  const settings = patchcoreSettings(opts);
  const { seed, valFraction, cfg } = settings;
  const runtime = await startRuntime(opts);
  const warnings: string[] = [];

  const dataset = await tileDataset(await loadDataset(opts.data, { categories: [opts.category] }), opts.category, opts.tile, seed);
  const plan = planValidation(dataset, opts.category, { valFraction, seed });
  const train = trainNormalsOutside(dataset, opts.category, plan, valFraction, seed);
  const outputs = cfg.globalLayer ? [...cfg.layers, cfg.globalLayer] : cfg.layers;
  const source = await loadFeatureExtractor(settings.backbone, { layers: outputs, inputSize: cfg.imageSize, seed });
  const extractor = source.extractor;
  let banks: PatchcoreBanks | null = null;
  let engine: FeatureEngineUsed & { onnx: OnnxBackboneMaps | null } = { onnx: null, used: 'tfjs', reason: null };
  const release = async (): Promise<void> => {
    if (banks) {
      banks.patches.dispose();
      banks.global?.dispose();
      banks = null;
    }
    await engine.onnx?.dispose();
    engine.onnx = null;
    extractor.dispose();
  };
  try {
    const cache = opts.featureCache ? await FeatureCache.open(resolve(opts.featureCache), (opts.featureCacheMb ?? DEFAULT_FEATURE_CACHE_MB) * 2 ** 20) : null;
    engine = await chooseFeatureEngine(opts.featureEngine ?? 'auto', runtime, () => onnxBackboneMaps(extractor, cfg.imageSize, runtime.threads));
    if (engine.reason) warnings.push(`--feature-engine auto: the backbone runs in tfjs, not onnxruntime (${engine.reason}).`);
    const grid = patchGrid(extractor, cfg);
    const features = await extractFeatures(source, engine.onnx, cache, { train, held: plan.normals }, settings, opts.onProgress);
    const cacheWarning = cache?.writeWarning();
    if (cacheWarning) warnings.push(cacheWarning);
    const bank = buildBanks(features.train, grid, cfg, seed, settings.coresetScope === 'tile-place' ? train : null);
    banks = bank.banks;
    const validated = await validatePatchcore(extractor, engine.onnx, bank.banks, features.held, grid, { opts, settings, plan });
    const timings = { featuresSeconds: features.seconds, coresetSeconds: bank.coresetSeconds, validationSeconds: validated.seconds };
    const featureEngine: FeatureEngineUsed = { used: engine.used, reason: engine.reason };
    // Tiled: the normal score level of each tile place, from the held-out normal tiles (infer standardises by it).
    const tileCalibration = opts.tile ? patchcoreTileCalibration(plan.normals, features.held, grid, bank.banks, settings.cfg) : null;
    const ref = await writePatchcoreArtifact({ opts, settings, source, dataset, plan, train, grid, bank, validated, timings, runtime, started, featureEngine, tileCalibration, member });
    const result: TrainPatchcoreResult = {
      artifact: { dir: ref.dir, version: ref.version },
      category: opts.category,
      imageSize: cfg.imageSize,
      backbone: settings.backbone,
      provenance: source.provenance,
      layers: cfg.layers,
      globalLayer: cfg.globalLayer,
      trainImages: train.length,
      patchRows: bank.patchRows,
      bankRows: bank.bankRows,
      coreset: { scope: settings.coresetScope, groups: bank.coresetGroups },
      featureDim: grid[2],
      metrics: validated.metrics,
      validation: { source: plan.source, normals: validated.evaluation.normals, defects: validated.evaluation.defects },
      normalization: validated.normalization,
      timings,
      seconds: (performance.now() - started) / 1000,
      imagesPerSecond: train.length / features.seconds,
      featureCache: cache ? { dir: cache.dir, hits: cache.stats.hits, misses: cache.stats.misses, evicted: cache.stats.evicted } : null,
      featureEngine,
      runtime,
      warnings,
    };
    return { result, validator: validated.detector, release };
  } catch (err) {
    await release();
    throw err;
  }
}

/** The run's settings resolved from the options and the backbone's defaults. */
export interface PatchcoreSettings {
  seed: number;
  valFraction: number;
  backbone: string;
  cfg: PatchcoreConfig;
  batchSize: number;
  coresetScope: CoresetScope;
}

export function patchcoreSettings(opts: TrainPatchcoreOptions): PatchcoreSettings {
  const backbone = opts.backbone ?? PATCHCORE_DEFAULT_BACKBONE;
  const table = PATCHCORE_BACKBONE_DEFAULTS[backbone];
  const defaults = defaultLayersOf(backbone);
  const globalWeight = opts.globalWeight ?? PATCHCORE_DEFAULTS.globalWeight;
  const cfg: PatchcoreConfig = patchcoreConfig({
    backbone,
    layers: opts.layers ?? (table ? [...table.layers] : undefined) ?? defaults?.layers ?? ['layer2', 'layer3'],
    // The whole-image layer only where its term is weighted: at weight 0 it would change no score, and the deeper
    // layer costs backbone time (InceptionV3 mixed5 -> mixed10 is about a third of the network).
    globalLayer: opts.globalLayer !== undefined ? opts.globalLayer : globalWeight > 0 ? (defaults?.globalLayer ?? null) : null,
    globalWeight,
    positionWeight: opts.positionWeight ?? table?.positionWeight,
    scoreTopFraction: opts.scoreTopFraction ?? (opts.tile ? TILED_SCORE_TOP_FRACTION : undefined),
    imageSize: opts.imageSize,
    coresetRatio: opts.coresetRatio,
    maxBankRows: opts.maxBankRows,
  });
  const batchSize = opts.batchSize ?? 8;
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new MadenetError('E_USAGE', `--batch-size is ${batchSize}; expected a positive integer.`);
  const coresetScope = opts.coresetScope ?? (opts.tile ? 'tile-place' : 'all');
  if (!CORESET_SCOPES.includes(coresetScope)) throw new MadenetError('E_USAGE', `--coreset-scope is '${String(coresetScope)}'; expected one of ${CORESET_SCOPES.join(', ')}.`);
  if (coresetScope === 'tile-place' && !opts.tile) throw new MadenetError('E_USAGE', "--coreset-scope tile-place needs --tile (it groups the train patches by tile place); expected --tile N, or --coreset-scope all.");
  return { seed: opts.seed ?? 0, valFraction: opts.valFraction ?? DEFAULT_VAL_FRACTION, backbone, cfg, batchSize, coresetScope };
}

/** Features of train normals and held-out normals, once each (through the cache when there is one); [h*w*D] patches (+ [G] global) per image. */
async function extractFeatures(
  source: FeatureExtractorSource,
  onnx: OnnxBackboneMaps | null,
  cache: FeatureCache | null,
  samples: { train: Sample[]; held: Sample[] },
  { cfg, batchSize }: PatchcoreSettings,
  onProgress: TrainPatchcoreOptions['onProgress'],
): Promise<{ train: Float32Array[][]; held: Float32Array[][]; seconds: number }> {
  // The engine is part of the key: onnxruntime's kernels round differently from tfjs's (~1e-6 of the maps' range).
  const key = extractorKey({ kind: PATCHCORE_KIND, provenance: source.provenance, layers: cfg.layers, globalLayer: cfg.globalLayer, size: cfg.imageSize, patchSize: cfg.patchSize, ...(cfg.positionWeight > 0 ? { positionWeight: cfg.positionWeight } : {}), ...(onnx ? { engine: 'onnx' } : {}) });
  const compute = featureComputer(source.extractor, onnx, cfg);
  const t0 = performance.now();
  const extract = (list: Sample[], phase: string): Promise<Float32Array[][]> =>
    extractOnce(list, { size: cfg.imageSize, batchSize, compute, cache: cache ? { store: cache, extractorKey: key } : null, onImage: (done, total) => onProgress?.({ phase, done, total }) });
  const train = await extract(samples.train, 'train features');
  const held = await extract(samples.held, 'held-out features');
  return { train, held, seconds: (performance.now() - t0) / 1000 };
}

/** One batch of images to per-image [patches] or [patches, global] feature rows. */
function featureComputer(extractor: tf.LayersModel, onnx: OnnxBackboneMaps | null, cfg: PatchcoreConfig) {
  return async (images: Parameters<typeof imagesToTensor>[0]): Promise<Float32Array[][]> => {
    const x = imagesToTensor(images);
    let f: ReturnType<typeof patchcoreFeatures>;
    if (onnx) {
      const raw = await onnx.run((await x.data()) as Float32Array, images.length).finally(() => x.dispose());
      const maps = mapTensors(onnx, raw, images.length);
      f = patchcoreFeaturesFromMaps(maps, cfg);
      tf.dispose(maps);
    } else {
      f = patchcoreFeatures(extractor, x, cfg);
      x.dispose();
    }
    try {
      const p = (await f.patches.data()) as Float32Array;
      const g = f.global ? ((await f.global.data()) as Float32Array) : null;
      const pp = p.length / images.length;
      const gp = g ? g.length / images.length : 0;
      return images.map((_, i) => (g ? [p.slice(i * pp, (i + 1) * pp), g.slice(i * gp, (i + 1) * gp)] : [p.slice(i * pp, (i + 1) * pp)]));
    } finally {
      f.patches.dispose();
      f.global?.dispose();
    }
  };
}

interface BuiltBanks {
  banks: PatchcoreBanks;
  /** Train patches before and rows after the coreset. */
  patchRows: number;
  bankRows: number;
  /** Greedy coresets run: 1, or one per tile place. */
  coresetGroups: number;
  coresetSeconds: number;
}

/**
 * The seeded greedy coreset of all train patches (or, given the train tiles, of each tile place's patches, merged),
 * and the global bank (every train image's global feature) when used.
 */
function buildBanks(trainFeatures: Float32Array[][], grid: [number, number, number], cfg: PatchcoreConfig, seed: number, byPlace: readonly Sample[] | null): BuiltBanks {
  const perImage = trainFeatures[0]?.[0]?.length ?? 0;
  const dim = grid[2];
  if (perImage !== grid[0] * grid[1] * dim) throw new MadenetError('E_INTERNAL', `Features of ${perImage} values per image do not match the ${grid.join('x')} patch grid.`);
  const patchRows = (trainFeatures.length * perImage) / dim;
  const all = concatRows(trainFeatures.map((f) => f[0] as Float32Array));
  const t1 = performance.now();
  const groups = byPlace ? placeGroups(byPlace, perImage / dim) : null;
  const sizes = groups ? groupCoresetSizes(groups.map((g) => g.length), cfg.coresetRatio, cfg.maxBankRows) : null;
  const size = sizes ? sizes.reduce((s, v) => s + v, 0) : coresetSize(cfg, patchRows);
  const patches = tf.tidy(() => {
    const x = tf.tensor2d(all, [patchRows, dim]);
    if (size >= patchRows) return x;
    const idx = groups && sizes ? groupedGreedyCoreset(x, groups, sizes, { seed, projectionDim: cfg.projectionDim }) : greedyCoreset(x, { size, seed, projectionDim: cfg.projectionDim });
    return tf.gather(x, tf.tensor1d(idx, 'int32'));
  }) as tf.Tensor2D;
  const coresetSeconds = (performance.now() - t1) / 1000;
  const global = cfg.globalLayer ? tf.tensor2d(concatRows(trainFeatures.map((f) => f[1] as Float32Array)), [trainFeatures.length, (trainFeatures[0]?.[1] as Float32Array).length]) : null;
  return { banks: { patches, global, norm: null }, patchRows, bankRows: Math.min(size, patchRows), coresetGroups: groups ? groups.length : 1, coresetSeconds };
}

/** Row indices of the patches of each tile place (samples in feature order, `rowsPerSample` rows each), places in first-seen order. */
export function placeGroups(samples: readonly Sample[], rowsPerSample: number): number[][] {
  const byKey = new Map<string, number[]>();
  for (const [i, s] of samples.entries()) {
    if (!s.region) throw new MadenetError('E_INTERNAL', `Train sample ${s.path} has no tile region; the tile-place coreset needs tiles.`);
    const key = placeKey(s.region);
    const rows = byKey.get(key) ?? [];
    for (let r = 0; r < rowsPerSample; r++) rows.push(i * rowsPerSample + r);
    byKey.set(key, rows);
  }
  return [...byKey.values()];
}

interface PatchcoreValidation {
  /** What validated (memoised), kept for an ensemble to reuse. */
  detector: AsyncDetector;
  normalization: ScoreNormalization | null;
  evaluation: Awaited<ReturnType<typeof validateDetector>>['evaluation'];
  metrics: DetectorTrainingMetrics;
  textures: TextureBank;
  seconds: number;
}

/** Standardises the two image-score terms on the held-out normals (not in the bank) when both are used, then validates as build-perfmap does. */
async function validatePatchcore(
  extractor: tf.LayersModel,
  onnx: OnnxBackboneMaps | null,
  banks: PatchcoreBanks,
  heldFeatures: Float32Array[][],
  grid: [number, number, number],
  { opts, settings, plan }: { opts: TrainPatchcoreOptions; settings: PatchcoreSettings; plan: ValidationPlan },
): Promise<PatchcoreValidation> {
  const { cfg, seed, batchSize } = settings;
  const t2 = performance.now();
  const normalization = cfg.globalLayer && cfg.globalWeight > 0 ? await scoreNormalization(heldFeatures, grid, banks, cfg) : null;
  banks.norm = normalization;
  const live = { category: opts.category, artifactDir: null };
  const inner = onnx ? patchcoreOnnxDetector(onnx, banks, cfg, live) : tfjsAsyncDetector(patchcoreDetector(extractor, banks, cfg, { ...live, ownsModels: false }));
  // Validation scores the synthetic defects twice (pixel pass, then all images): the second time reads them back.
  const detector = memoizeAsyncDetector(inner, VALIDATION_MEMO_BYTES);
  const textures = await TextureBank.forRun(opts.textures, cfg.imageSize, seed);
  const { evaluation } = await validateDetector(detector, plan, { textures, batchSize });
  return { detector, normalization, evaluation, metrics: detectorMetrics(evaluation), textures, seconds: (performance.now() - t2) / 1000 };
}

/** The validation metrics a detector artifact records (no epochs, hence no best epoch). */
export function detectorMetrics(evaluation: Awaited<ReturnType<typeof validateDetector>>['evaluation']): DetectorTrainingMetrics {
  return {
    imageAuroc: evaluation.imageAuroc,
    pixelAp: evaluation.pixelAp,
    objective: evaluation.imageAuroc === null ? null : VALIDATION_LAMBDA * evaluation.imageAuroc + (1 - VALIDATION_LAMBDA) * (evaluation.pixelAp ?? 0),
    threshold: evaluation.threshold,
    mapRange: evaluation.mapRange,
    bestEpoch: null,
  };
}

interface PatchcoreOutcome {
  opts: TrainPatchcoreOptions;
  settings: PatchcoreSettings;
  source: FeatureExtractorSource;
  dataset: { root: string; tiling: Parameters<typeof tilingRecord>[1] };
  plan: ValidationPlan;
  train: Sample[];
  grid: [number, number, number];
  bank: BuiltBanks;
  validated: PatchcoreValidation;
  timings: TrainPatchcoreResult['timings'];
  runtime: RuntimeInfo;
  started: number;
  tileCalibration: ReturnType<typeof patchcoreTileCalibration>;
  featureEngine: FeatureEngineUsed;
  /** An ensemble member: written without moving LATEST (the ensemble artifact moves it when it is written). */
  member: boolean;
}

/** Saves the bank(s), config and thresholds as <out>/patchcore/<category>/vNNNN. */
async function writePatchcoreArtifact(o: PatchcoreOutcome): ReturnType<typeof writeArtifact> {
  const { opts, settings, bank, validated } = o;
  const { cfg, seed } = settings;
  const dim = o.grid[2];
  const fingerprint = datasetFingerprint(o.train);
  const parents = o.source.provenance.kind === 'backbone' || o.source.provenance.kind === 'lpd' ? [o.source.provenance.ref] : [];
  const artifactConfig: PatchcoreArtifactConfig & Record<string, unknown> = {
    model: cfg,
    normalization: validated.normalization,
    backboneSource: o.source.provenance,
    bank: { patchRows: bank.patchRows, bankRows: bank.bankRows, featureDim: dim, grid: o.grid.slice(0, 2), coresetSeed: seed, coresetScope: settings.coresetScope, coresetGroups: bank.coresetGroups },
    validation: { valFraction: settings.valFraction, seed, source: o.plan.source, lambda: VALIDATION_LAMBDA, textures: validated.textures.source },
    featureEngine: o.featureEngine,
    data: { root: o.dataset.root, category: opts.category, trainImages: o.train.length, fingerprint, tiling: withCalibration(tilingRecord(opts.tile, o.dataset.tiling), o.tileCalibration) },
  };
  const bankData = (await bank.banks.patches.data()) as Float32Array;
  const files: Record<string, Buffer | string> = {
    [PATCHCORE_BANK_FILE]: encodeNpy(bankData, [bank.bankRows, dim]),
    'thresholds.json': thresholdsFile(validated.evaluation),
  };
  const global = bank.banks.global;
  if (global) files[PATCHCORE_GLOBAL_BANK_FILE] = encodeNpy((await global.data()) as Float32Array, global.shape);
  const seconds = (performance.now() - o.started) / 1000;
  return writeArtifact({
    root: resolve(opts.out),
    kind: PATCHCORE_KIND,
    category: opts.category,
    config: artifactConfig,
    seed,
    datasetFingerprint: fingerprint,
    runtime: o.runtime,
    metrics: { validation: validated.metrics, seconds, featuresSeconds: o.timings.featuresSeconds, coresetSeconds: o.timings.coresetSeconds },
    parents,
    models: { extractor: await modelArtifactsOf(o.source.extractor) },
    files,
    keepLatest: o.member,
  });
}

function withCalibration<T extends object>(record: T | null, calibration: unknown): T | null {
  return record && calibration ? { ...record, calibration } : record;
}

/** [h, w, D] of the patch features: the first layer's grid and the channels of all patch layers (from the extractor's shapes). */
function patchGrid(extractor: tf.LayersModel, cfg: PatchcoreConfig): [number, number, number] {
  const shapes = extractor.outputs.slice(0, cfg.layers.length).map((o) => o.shape);
  const first = shapes[0] ?? [];
  const positions = cfg.positionWeight > 0 ? 2 : 0;
  return [Number(first[1]), Number(first[2]), shapes.reduce((s, sh) => s + Number(sh[3]), 0) + positions];
}

/** Mean and spread of max-patch and global distances of held-out normals against the banks. */
async function scoreNormalization(held: Float32Array[][], grid: [number, number, number], banks: PatchcoreBanks, cfg: PatchcoreConfig): Promise<ScoreNormalization | null> {
  if (held.length < 2 || !banks.global) return null;
  const [h, w, d] = grid;
  const patchMax: number[] = [];
  const global: number[] = [];
  for (const f of held) {
    const out = tf.tidy(() => {
      const patches = tf.tensor4d(f[0] as Float32Array, [1, h, w, d]);
      const g = tf.tensor2d(f[1] as Float32Array, [1, (f[1] as Float32Array).length]);
      const r = patchcoreDistances({ patches, global: g }, banks);
      // The same patch term as at inference (raw max, or the top fraction of the smoothed map).
      const term = cfg.scoreTopFraction > 0 ? patchScoreTerm(r.patchMax, patchcoreAnomalyMap(r.patchDistances, cfg.imageSize, cfg.smoothingSigma), cfg) : r.patchMax;
      return [term, r.global ?? tf.zeros([1])];
    }) as [tf.Tensor1D, tf.Tensor1D];
    patchMax.push(((await out[0].data()) as Float32Array)[0] as number);
    global.push(((await out[1].data()) as Float32Array)[0] as number);
    tf.dispose(out);
  }
  const patch = meanAndSpread(patchMax);
  const whole = meanAndSpread(global);
  return { patchMean: patch.mean, patchStd: patch.std, globalMean: whole.mean, globalStd: whole.std };
}
