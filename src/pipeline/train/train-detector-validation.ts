// Validation of any submodel during training, measured exactly as build-perfmap measures a candidate: the same
// plan (held-out train normals plus train-split or synthetic defects, never the test split) through
// evaluateCandidates; the loop's score is build-perfmap's objective. No training, no files.
import { MadenetError } from '../core/errors.js';
import type { Detector } from '../detectors/detector.js';
import type { AsyncDetector } from '../engines/async-detector.js';
import { DEFAULT_TARGET_FPR } from '../eval/threshold.js';
import { objectiveOf } from '../perfmap/choose.js';
import { evaluateCandidates, type CandidateEvaluation } from '../perfmap/evaluate-candidates.js';
import type { ValidationPlan } from '../perfmap/validation-set.js';
import type { TextureBank } from '../synth/texture-bank.js';
import type { LoopState, Validation } from './loop.js';
import { divergedAdvice } from './train-options.js';

/** Weight of image AUROC against Pixel-AP in the validation score (build-perfmap's default lambda). */
export const VALIDATION_LAMBDA = 0.5;

export interface DetectorValidation {
  validation: Validation;
  evaluation: CandidateEvaluation;
}

export async function validateDetector(
  detector: Detector | AsyncDetector,
  plan: ValidationPlan,
  opts: { textures: TextureBank; batchSize: number; targetFpr?: number; lambda?: number },
): Promise<DetectorValidation> {
  const [evaluation] = await evaluateCandidates(plan, [detector], {
    size: detector.imageSize,
    batchSize: opts.batchSize,
    targetFpr: opts.targetFpr ?? DEFAULT_TARGET_FPR,
    textures: opts.textures,
  });
  const e = evaluation as CandidateEvaluation;
  return {
    evaluation: e,
    validation: {
      score: objectiveOf(e, opts.lambda ?? VALIDATION_LAMBDA),
      metrics: { imageAuroc: e.imageAuroc, pixelAp: e.pixelAp, threshold: e.threshold.threshold, normals: e.normals, defects: e.defects },
    },
  };
}

/** The validation figures of the epoch a submodel trainer saves (what build-perfmap would measure for it). */
export interface DetectorTrainingMetrics {
  imageAuroc: number | null;
  pixelAp: number | null;
  /** build-perfmap's objective at lambda 0.5: what "best epoch" maximised. */
  objective: number | null;
  threshold: CandidateEvaluation['threshold'];
  mapRange: CandidateEvaluation['mapRange'];
  bestEpoch: number | null;
}

export function bestEpochMetrics(best: CandidateEvaluation, state: Pick<LoopState, 'bestScore' | 'bestEpoch'>): DetectorTrainingMetrics {
  return {
    imageAuroc: best.imageAuroc,
    pixelAp: best.pixelAp,
    objective: state.bestScore,
    threshold: best.threshold,
    mapRange: best.mapRange,
    bestEpoch: state.bestEpoch,
  };
}

/**
 * Refuses a model that cannot tell anything apart, before it becomes an artifact (and LATEST): its validation
 * maps were one constant (map range lo == hi, e.g. 0..0 after the weights blew up) or its threshold is not a number.
 */
export function checkUsableDetector(evaluation: CandidateEvaluation, what = 'The trained model'): void {
  const { lo, hi } = evaluation.mapRange;
  const t = evaluation.threshold.threshold;
  if (!Number.isFinite(lo) || !Number.isFinite(hi) || !Number.isFinite(t) || !(hi > lo)) {
    throw new MadenetError(
      'E_DEGENERATE',
      `${what} is degenerate: its validation anomaly maps span ${lo}..${hi} and its threshold is ${t} (fpr ${evaluation.threshold.fpr}); expected maps that vary and a finite threshold. Nothing was saved.`,
      { suggestions: divergedAdvice(), exit: 1 },
    );
  }
}

/** thresholds.json as every submodel artifact (trained or fine-tuned) carries it; a degenerate model gets none (E_DEGENERATE). */
export function thresholdsFile(evaluation: CandidateEvaluation, extra: Record<string, unknown> = {}): string {
  checkUsableDetector(evaluation);
  return `${JSON.stringify({ image: evaluation.threshold, mapRange: evaluation.mapRange, mapNormalisation: null, ...extra }, null, 2)}\n`;
}
