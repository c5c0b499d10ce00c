// SRAD's validation each epoch, measured exactly as build-perfmap measures a candidate (validateDetector on the
// same plan, never the test split). When that plan holds only a few real defects (a 20% hold-out of a small
// defect set can be 2 images), the epoch choice would follow noise, so the score also counts synthetic defects
// on the same held-out normals; the reported metrics and threshold stay build-perfmap's.
import type { SradConfig } from '../model/config.js';
import type { SradModels } from '../model/model.js';
import { sradDetector } from '../detector.js';
import type { Dataset } from '../../../io/dataset.js';
import type { CandidateEvaluation } from '../../../perfmap/evaluate-candidates.js';
import { defectCount, planValidation, type ValidationPlan } from '../../../perfmap/validation-set.js';
import type { TextureBank } from '../../../synth/texture-bank.js';
import type { Validation } from '../../../train/loop.js';
import { validateDetector, VALIDATION_LAMBDA } from '../../../train/train-detector-validation.js';

export const SRAD_VALIDATION_LAMBDA = VALIDATION_LAMBDA;

/** Fewer real validation defects than this and the epoch score also counts synthetic ones. */
export const MIN_SELECTION_DEFECTS = 8;

export interface SradValidationPlans {
  /** build-perfmap's plan: its metrics and threshold are the ones recorded. */
  plan: ValidationPlan;
  /** Synthetic defects on the same held-out normals, or null when the plan has enough defects of its own. */
  supplement: ValidationPlan | null;
}

export function planSradValidation(dataset: Pick<Dataset, 'samples'>, category: string, opts: { valFraction: number; seed: number }): SradValidationPlans {
  const plan = planValidation(dataset, category, opts);
  if (plan.source !== 'train-defects' || defectCount(plan) >= MIN_SELECTION_DEFECTS) return { plan, supplement: null };
  // Without the train defects planValidation falls back to synthetic ones on the very same hold-out of normals.
  const withoutDefects = dataset.samples.filter((s) => !(s.category === category && s.split === 'train' && s.label === 1));
  return { plan, supplement: planValidation({ samples: withoutDefects }, category, opts) };
}

export interface SradValidationResult {
  validation: Validation;
  evaluation: CandidateEvaluation;
  synthetic: CandidateEvaluation | null;
}

export async function validateSrad(
  models: SradModels,
  cfg: SradConfig,
  plans: SradValidationPlans,
  opts: { textures: TextureBank; batchSize: number; targetFpr?: number },
): Promise<SradValidationResult> {
  const detector = sradDetector(models, cfg, { category: plans.plan.category, artifactDir: null, ownsModels: false });
  const real = await validateDetector(detector, plans.plan, opts);
  if (!plans.supplement) return { ...real, synthetic: null };
  const synth = await validateDetector(detector, plans.supplement, opts);
  const scores = [real.validation.score, synth.validation.score].filter((s): s is number => s !== null);
  return {
    evaluation: real.evaluation,
    synthetic: synth.evaluation,
    validation: {
      score: scores.length === 0 ? null : scores.reduce((a, b) => a + b, 0) / scores.length,
      metrics: { ...real.validation.metrics, syntheticImageAuroc: synth.evaluation.imageAuroc, syntheticPixelAp: synth.evaluation.pixelAp },
    },
  };
}
