// SRAD's validation each epoch, measured exactly as build-perfmap measures a candidate: the same plan (held-out
// train normals plus train-split or synthetic defects, never the test split) through evaluateCandidates.
// The score the loop maximises is build-perfmap's objective at lambda 0.5.
import type { SradConfig } from '../../../models/srad/config.js';
import type { SradModels } from '../../../models/srad/model.js';
import { sradDetector } from '../../detectors/srad.js';
import { DEFAULT_TARGET_FPR } from '../../eval/threshold.js';
import { evaluateCandidates, type CandidateEvaluation } from '../../perfmap/evaluate-candidates.js';
import { objectiveOf } from '../../perfmap/choose.js';
import type { ValidationPlan } from '../../perfmap/validation-set.js';
import type { TextureBank } from '../../synth/texture-bank.js';
import type { Validation } from '../loop.js';

/** Weight of image AUROC against Pixel-AP in the validation score (build-perfmap's default lambda). */
export const SRAD_VALIDATION_LAMBDA = 0.5;

export interface SradValidationResult {
  validation: Validation;
  evaluation: CandidateEvaluation;
}

export async function validateSrad(
  models: SradModels,
  cfg: SradConfig,
  plan: ValidationPlan,
  opts: { textures: TextureBank; batchSize: number; targetFpr?: number },
): Promise<SradValidationResult> {
  const detector = sradDetector(models, cfg, { category: plan.category, artifactDir: null, ownsModels: false });
  const [evaluation] = await evaluateCandidates(plan, [detector], {
    size: cfg.imageSize,
    batchSize: opts.batchSize,
    targetFpr: opts.targetFpr ?? DEFAULT_TARGET_FPR,
    textures: opts.textures,
  });
  const e = evaluation as CandidateEvaluation;
  return {
    evaluation: e,
    validation: {
      score: objectiveOf(e, SRAD_VALIDATION_LAMBDA),
      metrics: { imageAuroc: e.imageAuroc, pixelAp: e.pixelAp, threshold: e.threshold.threshold, normals: e.normals, defects: e.defects },
    },
  };
}
