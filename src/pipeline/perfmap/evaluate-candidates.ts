// Scores every candidate submodel of one category on its validation set in two streaming passes (defects,
// then everything), so that exact Pixel-AP needs no map kept in memory: image AUROC, Pixel-AP, threshold
// and the map range per candidate. Maps are compared at one validation size V for all candidates.
import type { Detector } from '../detectors/detector.js';
import type { AsyncDetector } from '../engines/async-detector.js';
import { batches } from '../io/batch.js';
import { imageAuroc } from '../eval/image-metrics.js';
import { PixelCurveAccumulator } from '../eval/pixel-curve-accumulator.js';
import { chooseThreshold, type ThresholdChoice } from '../eval/threshold.js';
import type { TextureBank } from '../synth/texture-bank.js';
import { scoreBatch } from '../infer/detector-batch.js';
import { defectCount, streamValidation, type ValidationItem, type ValidationPlan } from './validation-set.js';

export interface CandidateEvaluation {
  imageAuroc: number | null;
  pixelAp: number | null;
  threshold: ThresholdChoice;
  mapRange: { lo: number; hi: number };
  scoreScale: ScoreScale | null;
  /** See CandidateMetrics.maskThreshold. */
  maskThreshold: number | null;
  normals: number;
  defects: number;
  /** Defects with a pixel mask: Pixel-AP covers these only (null Pixel-AP when 0). */
  maskedDefects: number;
}

export interface EvaluateCandidatesOptions {
  /** Validation size V: images are decoded at V and maps compared at V. */
  size: number;
  batchSize: number;
  targetFpr: number;
  textures: TextureBank;
  concurrency?: number;
  /** Called after every batch with images done so far in this category (both passes counted). */
  onBatch?: (done: number) => void;
}

export async function evaluateCandidates(plan: ValidationPlan, detectors: readonly (Detector | AsyncDetector)[], opts: EvaluateCandidatesOptions): Promise<CandidateEvaluation[]> {
  const acc = detectors.map(() => new PixelCurveAccumulator());
  const stream = (part: 'defects' | 'all'): AsyncGenerator<ValidationItem[]> =>
    batches(streamValidation(plan, part, { size: opts.size, textures: opts.textures, concurrency: opts.concurrency }), opts.batchSize);
  const ctx: PassContext = { detectors, acc, opts, progress: { done: 0 } };
  // Pass 1: every defect pixel of every candidate, so that the accumulators can seal.
  const withMask = defectCount(plan) > 0 ? await defectPass(stream('defects'), ctx) : 0;
  // Pass 2: normal pixels, image scores and map ranges over everything.
  const all = await allPass(stream('all'), ctx);
  const { labels } = all;
  const normals = labels.filter((l) => l === 0).length;
  const defects = labels.length - normals;
  return detectors.map((_, d) => {
    const s = all.scores[d] as number[];
    const pixel = withMask > 0 ? (acc[d] as PixelCurveAccumulator).finalize() : null;
    const threshold =
      plan.source !== 'synthetic'
        ? chooseThreshold({ scores: s, labels, targetFpr: opts.targetFpr })
        : chooseThreshold({ normalScores: s.filter((_, i) => labels[i] === 0), targetFpr: opts.targetFpr });
    const range = all.ranges[d] as { lo: number; hi: number };
    const normalScores = s.filter((_, i) => labels[i] === 0);
    const maxima = all.normalMapMax[d] as number[];
    return {
      scoreScale: scoreScaleOf(normalScores),
      // The image-level normal quantile applied to each normal's hottest pixel: a normal part gets any masked pixel
      // at most as often as targetFpr says, whatever the submodel's map units.
      maskThreshold: maxima.length > 0 ? chooseThreshold({ normalScores: maxima, targetFpr: opts.targetFpr }).threshold : null,
      imageAuroc: imageAuroc(s, labels),
      pixelAp: pixel?.ap ?? null,
      threshold,
      mapRange: Number.isFinite(range.lo) ? range : { lo: 0, hi: 1 },
      normals,
      defects,
      maskedDefects: withMask,
    };
  });
}

/** What both passes share: the candidates, their pixel accumulators, the options and the images done so far. */
interface PassContext {
  detectors: readonly (Detector | AsyncDetector)[];
  acc: PixelCurveAccumulator[];
  opts: EvaluateCandidatesOptions;
  progress: { done: number };
}

/** A batch of validation items, each defect's pixel mask (null for normals and unmasked defects). */
type Visit = (batch: ValidationItem[], gts: (Uint8Array | null)[]) => void;
/** One candidate's scores and maps ([N * size * size], row-major) for a batch. */
type VisitScored = (d: number, batch: ValidationItem[], gts: (Uint8Array | null)[], out: { scores: Float32Array; maps: Float32Array }) => void;

/** Scores every batch with each candidate in turn, and counts the images done. */
async function scoreEach(stream: AsyncIterable<ValidationItem[]>, ctx: PassContext, visit: Visit, visitScored: VisitScored): Promise<void> {
  const { detectors, opts, progress } = ctx;
  for await (const batch of stream) {
    const gts = batch.map((item) => gtOf(item));
    visit(batch, gts);
    for (const [d, detector] of detectors.entries()) visitScored(d, batch, gts, await scoreBatch(detector, batch.map((b) => b.image), opts.size));
    progress.done += batch.length;
    opts.onBatch?.(progress.done);
  }
}

/** Adds the defect pixels of every masked validation defect to each candidate's accumulator; returns how many had a mask. */
async function defectPass(stream: AsyncIterable<ValidationItem[]>, ctx: PassContext): Promise<number> {
  const { acc, opts } = ctx;
  let withMask = 0;
  const area = opts.size * opts.size;
  await scoreEach(
    stream,
    ctx,
    (_, gts) => (withMask += gts.filter((g) => g !== null).length),
    (d, _, gts, out) =>
      gts.forEach((gt, i) => {
        if (gt) acc[d]?.addDefectPixels(out.maps.subarray(i * area, (i + 1) * area), gt, opts.size);
      }),
  );
  return withMask;
}

/** Scores every validation image with each candidate: normal pixels, image scores, map ranges and each normal's hottest pixel. */
async function allPass(stream: AsyncIterable<ValidationItem[]>, ctx: PassContext): Promise<{ scores: number[][]; labels: number[]; ranges: { lo: number; hi: number }[]; normalMapMax: number[][] }> {
  const { detectors, acc, opts } = ctx;
  const scores = detectors.map(() => [] as number[]);
  const labels: number[] = [];
  const ranges = detectors.map(() => ({ lo: Infinity, hi: -Infinity }));
  const normalMapMax = detectors.map(() => [] as number[]);
  const area = opts.size * opts.size;
  const visitScored: VisitScored = (d, batch, gts, out) => {
    const range = ranges[d] as { lo: number; hi: number };
    batch.forEach((item, i) => {
      const map = out.maps.subarray(i * area, (i + 1) * area);
      // A defect without a mask says nothing about its pixels; keep it out of the pixel metrics.
      if (item.label === 0 || gts[i]) acc[d]?.addNormalPixels(map, gts[i] ?? null);
      let top = -Infinity;
      for (const v of map) {
        if (v < range.lo) range.lo = v;
        if (v > range.hi) range.hi = v;
        if (v > top) top = v;
      }
      if (item.label === 0) normalMapMax[d]?.push(top);
    });
    scores[d]?.push(...out.scores);
  };
  await scoreEach(stream, ctx, (batch) => labels.push(...batch.map((b) => b.label)), visitScored);
  return { scores, labels, ranges, normalMapMax };
}

function gtOf(item: ValidationItem): Uint8Array | null {
  if (item.label === 0 || !item.mask) return null;
  const gt = new Uint8Array(item.mask.data.length);
  for (let i = 0; i < gt.length; i++) gt[i] = (item.mask.data[i] as number) > 0.5 ? 1 : 0;
  return gt;
}

/**
 * Mean and standard deviation of a submodel's image scores on validation normals. infer reports scores as
 * (raw - center) / spread, so that images of one category routed to different submodels (the low-confidence
 * fallback) are ranked on one scale: how far above that model's own normals they lie.
 */
export interface ScoreScale {
  center: number;
  spread: number;
}

export function scoreScaleOf(normalScores: readonly number[]): ScoreScale | null {
  if (normalScores.length < 2) return null;
  const center = normalScores.reduce((a, b) => a + b, 0) / normalScores.length;
  const variance = normalScores.reduce((a, b) => a + (b - center) * (b - center), 0) / (normalScores.length - 1);
  const spread = Math.sqrt(variance);
  return spread > 1e-12 && Number.isFinite(spread) ? { center, spread } : null;
}
