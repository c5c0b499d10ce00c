// The streaming core of infer: decode (bounded, in sharp's threads) overlaps classify and score (tfjs, main
// thread); routed images wait in per-model buckets until a batch is full, with a cap on all buckets together;
// map/overlay files and lines are written by a bounded queue. Memory depends on batch sizes, not input size.
import { isMadenetError, MadenetError } from '../core/errors.js';
import type { SubmodelKind } from '../detectors/detector.js';
import { labelAt } from '../eval/threshold.js';
import { batches } from '../io/batch.js';
import { boundedMap } from '../io/bounded-map.js';
import { decodeImageWithSize } from '../io/decode.js';
import type { RgbImage } from '../io/image.js';
import { routedScore, type PerfMap } from '../perfmap/schema.js';
import { submodelKinds } from '../submodels/registry.js';
import type { AsyncClassifier } from '../engines/async-detector.js';
import type { Classifier } from './classifier-contract.js';
import { classifyBatch, scoreBatch } from './detector-batch.js';
import type { DetectorCache } from './detector-cache.js';
import type { InputItem } from './input-source.js';
import { mirrorPath, writeMap, writeMask, writeOverlay } from './map-files.js';
import type { InferPrediction, PredictionLog } from './prediction-log.js';
import { routeImage, type Route, type RoutePolicy, type RouteReason } from './route.js';
import { modelTiling, scoreTiled, type TileOptions } from './tiler.js';
import { WriteQueue } from './write-queue.js';

/** Per-image failures that --skip-bad-images turns into skips; anything else stops the run. */
export const SKIPPABLE_CODES = new Set(['E_DECODE', 'E_IMAGE_TOO_SMALL', 'E_NOT_FOUND', 'E_CATEGORY']);

export interface PipelineOptions {
  perfmap: PerfMap;
  items: AsyncIterable<InputItem>;
  log: PredictionLog;
  cache: DetectorCache;
  classifier: Classifier | AsyncClassifier | null;
  /** --assume-category: every image is of it (the classifier is not run). */
  category: string | null;
  policy: RoutePolicy;
  decodeSize: number;
  batchSize: number;
  concurrency: number;
  outDir: string;
  /** Output files mirror the input tree relative to this directory (see map-files.ts). */
  inputRoot: string;
  saveMaps: boolean;
  saveOverlays: boolean;
  skipBadImages: boolean;
  /** Score each image by overlapping tiles of its source pixels (infer --tile); null: the whole image resized. */
  tiling?: Omit<TileOptions, 'batchSize'> | null | 'model';
  signal?: AbortSignal;
  onSkip?: (path: string, error: MadenetError) => void;
  /** After every image written or skipped; `passed` counts those already done (resume) or repeated. */
  onProgress?: (predicted: number, skipped: number, passed: number) => void;
}

export interface StageSeconds {
  /** Busy time of the decodes (they run concurrently, so this can exceed the wall time). */
  decode: number;
  classify: number;
  score: number;
  /** Busy time of map/overlay/line writes (concurrent, like decode). */
  write: number;
}

export interface PipelineCounts {
  /** Items of this shard read from the input. */
  seen: number;
  alreadyDone: number;
  duplicates: number;
  predicted: number;
  anomalies: number;
  skipped: number;
  skippedExamples: { path: string; code: string; message: string }[];
  routes: Record<RouteReason, number>;
  models: Record<SubmodelKind, number>;
  stages: StageSeconds;
  peakRssBytes: number;
  interrupted: boolean;
}

interface Decoded {
  item: InputItem;
  image?: RgbImage;
  error?: MadenetError;
}

interface Pending {
  item: InputItem;
  image: RgbImage;
  route: Route;
}

const MAX_SKIP_EXAMPLES = 20;

export async function runPipeline(o: PipelineOptions): Promise<PipelineCounts> {
  return new PipelineRun(o).run();
}

function emptyCounts(): PipelineCounts {
  return {
    seen: 0,
    alreadyDone: 0,
    duplicates: 0,
    predicted: 0,
    anomalies: 0,
    skipped: 0,
    skippedExamples: [],
    routes: { confident: 0, 'low-confidence-fallback': 0, 'no-classifier': 0, 'forced-category': 0 },
    // Every registered kind, so that the JSON counts a kind nothing was routed to as 0.
    models: Object.fromEntries(submodelKinds().map((k) => [k, 0])),
    stages: { decode: 0, classify: 0, score: 0, write: 0 },
    peakRssBytes: process.memoryUsage.rss(),
    interrupted: false,
  };
}

/** One image's scored map, whole-image or tiled, before it is written. */
interface ScoredImage {
  map: Float32Array;
  mapHeight: number;
  mapWidth: number;
  value: number;
}

/** One run of the pipeline: its counts, the per-model buckets and the write queue. */
class PipelineRun {
  private readonly c = emptyCounts();
  private readonly queued = new Set<string>();
  private readonly writes: WriteQueue;
  private readonly buckets = new Map<string, Pending[]>();
  private pending = 0;
  private readonly cap: number;

  constructor(private readonly o: PipelineOptions) {
    this.writes = new WriteQueue(Math.max(4, o.concurrency * 2));
    this.cap = 4 * o.batchSize;
  }

  async run(): Promise<PipelineCounts> {
    const { o, c } = this;
    const decoded = boundedMap(this.todo(), (item) => this.decodeOne(item), { concurrency: o.concurrency, prefetch: Math.max(o.concurrency, o.batchSize) });
    try {
      await this.consume(decoded);
    } finally {
      // Lines already appended stay (that is what --resume relies on); none is written after we return.
      await this.writes.settle();
    }
    await this.writes.drain();
    c.peakRssBytes = Math.max(c.peakRssBytes, process.memoryUsage.rss());
    if (o.signal?.aborted) c.interrupted = true;
    return c;
  }

  private progress(): void {
    const c = this.c;
    this.o.onProgress?.(c.predicted, c.skipped, c.alreadyDone + c.duplicates);
  }

  private skip(path: string, error: unknown): void {
    const { o, c } = this;
    if (!(o.skipBadImages && isMadenetError(error) && SKIPPABLE_CODES.has(error.code))) throw error;
    c.skipped++;
    if (c.skippedExamples.length < MAX_SKIP_EXAMPLES) c.skippedExamples.push({ path, code: error.code, message: error.message });
    o.onSkip?.(path, error);
    this.progress();
  }

  /** The input items still to predict: those already in the log (resume) or seen before in this run are counted and passed over. */
  private async *todo(): AsyncGenerator<InputItem> {
    const { o, c } = this;
    for await (const item of o.items) {
      if (o.signal?.aborted) {
        c.interrupted = true;
        return;
      }
      c.seen++;
      if (o.log.done.has(item.path) || this.queued.has(item.path)) {
        if (o.log.done.has(item.path)) c.alreadyDone++;
        else c.duplicates++;
        // Passed over, but counted: a resumed run's bar moves through what was done before.
        this.progress();
      } else {
        this.queued.add(item.path);
        yield item;
      }
    }
  }

  private async decodeOne(item: InputItem): Promise<Decoded> {
    const t0 = performance.now();
    try {
      return { item, image: (await decodeImageWithSize(item.file, { size: this.o.decodeSize })).image };
    } catch (err) {
      if (isMadenetError(err) && SKIPPABLE_CODES.has(err.code)) return { item, error: err };
      throw err;
    } finally {
      this.c.stages.decode += (performance.now() - t0) / 1000;
    }
  }

  private async consume(decoded: AsyncIterable<Decoded>): Promise<void> {
    for await (const group of batches(decoded, this.o.batchSize)) {
      const ok: (Decoded & { image: RgbImage })[] = [];
      for (const d of group) {
        if (d.image) ok.push(d as Decoded & { image: RgbImage });
        else this.skip(d.item.path, d.error);
      }
      const routes = await routeAll(this.o, ok, this.c.stages);
      for (const [i, d] of ok.entries()) {
        const r = routes[i] as Route | MadenetError;
        if (r instanceof MadenetError) this.skip(d.item.path, r);
        else this.bucket({ item: d.item, image: d.image, route: r });
      }
      await this.flushFull();
      this.c.peakRssBytes = Math.max(this.c.peakRssBytes, process.memoryUsage.rss());
    }
    for (const [key, list] of [...this.buckets]) {
      this.buckets.delete(key);
      if (list.length > 0) await this.score(list);
    }
  }

  private bucket(p: Pending): void {
    const key = p.route.candidate.artifact.manifestSha256;
    const list = this.buckets.get(key) ?? [];
    list.push(p);
    this.buckets.set(key, list);
    this.pending++;
  }

  private async flushFull(): Promise<void> {
    const { o, buckets } = this;
    for (const [key, list] of buckets) {
      while (list.length >= o.batchSize) await this.score(list.splice(0, o.batchSize));
      if (list.length === 0) buckets.delete(key);
    }
    // Too many images waiting in small buckets (many categories): score the largest one as a short batch.
    while (this.pending > this.cap) {
      const [key, list] = [...buckets].sort((a, b) => b[1].length - a[1].length)[0] as [string, Pending[]];
      buckets.delete(key);
      await this.score(list);
    }
  }

  /** Scores a group routed to one model and queues the write of each image's prediction. */
  private async score(group: Pending[]): Promise<void> {
    const { o } = this;
    const first = group[0] as Pending;
    const detector = await o.cache.get(first.route.candidate);
    const loadedDir = o.cache.loadedDir(first.route.candidate);
    const t0 = performance.now();
    const tiling = o.tiling === 'model' ? await modelTiling(first.route.candidate.artifact.dir) : await withModelCalibration(o.tiling ?? null, first.route.candidate.artifact.dir);
    if (tiling && o.tiling === 'model' && o.saveOverlays) {
      throw new MadenetError('E_USAGE', `--save-overlays cannot be combined with the tiled model ${first.route.candidate.artifact.dir} yet; expected --tile 0 (whole images) or no overlays (the tiled map is saved with --save-maps).`);
    }
    // Tiled: each image is read again tile by tile from its file (the routed, resized copy only chose the model).
    const tiled = tiling ? await Promise.all(group.map((p) => scoreTiled(detector, p.item.file, { ...tiling, batchSize: o.batchSize }))) : null;
    const out = tiled ? null : await scoreBatch(detector, group.map((p) => p.image), detector.imageSize, o.saveMaps || o.saveOverlays);
    this.c.stages.score += (performance.now() - t0) / 1000;
    for (const [i, p] of group.entries()) {
      const t = tiled?.[i];
      const mapHeight = t ? t.height : (out?.mapSize as number);
      const mapWidth = t ? t.width : (out?.mapSize as number);
      const map = t ? t.map : (out?.maps.subarray(i * mapWidth * mapHeight, (i + 1) * mapWidth * mapHeight) as Float32Array);
      const value = t ? t.score : (out?.scores[i] as number);
      await this.writes.push(() => this.write(p, { map, mapHeight, mapWidth, value }, loadedDir));
    }
    this.pending -= group.length;
  }

  /** Writes one image's map/mask/overlay files and its prediction line, and counts it. */
  private async write(p: Pending, s: ScoredImage, loadedDir: string): Promise<void> {
    const { o, c } = this;
    const t1 = performance.now();
    const prediction = await this.prediction(p, s, loadedDir);
    await o.log.append(prediction);
    c.predicted++;
    c.anomalies += prediction.label;
    c.routes[p.route.record.reason]++;
    c.models[p.route.kind]++;
    c.stages.write += (performance.now() - t1) / 1000;
    this.progress();
  }

  private async prediction(p: Pending, s: ScoredImage, loadedDir: string): Promise<InferPrediction> {
    const { o } = this;
    const r = p.route;
    const { map, mapHeight, mapWidth, value } = s;
    if (!Number.isFinite(value)) {
      throw new MadenetError('E_PREDICTIONS', `The ${r.kind} model scored ${p.item.path} as ${value}; expected a finite number (is the artifact ${r.candidate.artifact.dir} damaged?).`);
    }
    // One scale for all submodels of a category (see CandidateMetrics.scoreScale); monotonic, so labels
    // are those of the raw score against the raw threshold.
    const threshold = routedScore(r.candidate, r.candidate.threshold.threshold);
    const score = routedScore(r.candidate, value);
    const label = labelAt(score, threshold);
    const rel = mirrorPath(p.item.file, o.inputRoot);
    const maskThreshold = r.candidate.maskThreshold ?? null;
    return {
      path: p.item.path,
      category: r.category,
      score,
      label,
      threshold,
      model: r.kind,
      classifier: r.classifier,
      map: o.saveMaps ? await writeMap(o.outDir, rel, map, mapHeight, mapWidth) : null,
      // Maps before CandidateMetrics.maskThreshold have none to cut at: no mask rather than a guessed one.
      mask: o.saveMaps && maskThreshold !== null ? await writeMask(o.outDir, rel, map, mapHeight, maskThreshold, mapWidth) : null,
      overlay: o.saveOverlays ? await writeOverlay(o.outDir, rel, p.image, map, mapWidth, r.candidate.mapRange, { score, threshold, label, maskThreshold }) : null,
      route: r.record,
      // The version actually loaded (resolvePointer checked its manifest hash), where it was found.
      artifact: { kind: r.candidate.artifact.kind, category: r.candidate.artifact.category, version: r.candidate.artifact.version, dir: loadedDir },
    };
  }
}

/** Routes a batch: the classifier runs once on the images that have no category given. */
async function routeAll(o: PipelineOptions, ok: { item: InputItem; image: RgbImage }[], stages: StageSeconds): Promise<(Route | MadenetError)[]> {
  const given = ok.map((d) =>
    o.category !== null ? { category: o.category, from: 'flag' as const } : d.item.category !== null ? { category: d.item.category, from: 'line' as const } : null,
  );
  const classified: ({ category: string; confidence: number } | null)[] = ok.map(() => null);
  const need = o.classifier ? ok.map((_, i) => i).filter((i) => given[i] === null) : [];
  if (o.classifier && need.length > 0) {
    const t0 = performance.now();
    const top = await classifyBatch(o.classifier, need.map((i) => (ok[i] as { image: RgbImage }).image));
    stages.classify += (performance.now() - t0) / 1000;
    need.forEach((i, k) => {
      classified[i] = { category: o.classifier?.categories[top.index[k] as number] as string, confidence: top.confidence[k] as number };
    });
  }
  return ok.map((_, i) => {
    try {
      return routeImage(o.perfmap, { given: given[i] ?? null, classified: classified[i] ?? null }, o.policy);
    } catch (err) {
      if (isMadenetError(err)) return err;
      throw err;
    }
  });
}

/** An explicit --tile equal to the model's own tiling keeps the model's tile calibration (it was measured on those places). */
async function withModelCalibration(tiling: Omit<TileOptions, 'batchSize'> | null, artifactDir: string): Promise<Omit<TileOptions, 'batchSize'> | null> {
  if (!tiling) return null;
  const own = await modelTiling(artifactDir).catch(() => null);
  return own && own.tile === tiling.tile && own.overlap === tiling.overlap ? { ...tiling, calibration: own.calibration ?? null } : tiling;
}
