// `--backbone` for the pre-classifier: random initialisation, or an EfficientNet (efficientnet_b0..b4) from
// `weights import` whose variant then fixes the classifier's scaling. Weights are copied by layer name.
import type * as tf from '@tensorflow/tfjs';
import { EFFICIENTNET_VARIANTS, type EfficientNetVariant } from '../../../models/components/efficientnet.js';
import { loadBackboneWeights, type WeightCopyReport } from '../../../models/classifier/model.js';
import { loadArtifact, type ArtifactRef } from '../../artifacts/index.js';
import { MadenetError } from '../../core/errors.js';
import { loadBackbone, RANDOM_BACKBONE, refuseWeightsFile } from '../../weights/backbone-source.js';

export interface ClassifierBackbonePlan {
  spec: string;
  arch: string | null;
  /** The EfficientNet variant the imported weights are for, or null (random). */
  variant: EfficientNetVariant | null;
}

export async function planClassifierBackbone(spec: string): Promise<ClassifierBackbonePlan> {
  if (spec === RANDOM_BACKBONE) return { spec, arch: null, variant: null };
  await refuseWeightsFile(spec, 'efficientnet_b0');
  const artifact = await loadArtifact(spec);
  const arch = (artifact.manifest.config as { arch?: unknown } | null)?.arch;
  const variant = typeof arch === 'string' && arch.startsWith('efficientnet_') ? arch.slice('efficientnet_'.length) : null;
  if (artifact.manifest.kind !== 'backbone' || variant === null || !(EFFICIENTNET_VARIANTS as readonly string[]).includes(variant)) {
    throw new MadenetError(
      'E_WEIGHTS',
      `--backbone ${spec} is a ${artifact.manifest.kind} artifact of architecture ${JSON.stringify(arch ?? null)}; expected a backbone artifact of ${EFFICIENTNET_VARIANTS.map((v) => `efficientnet_${v}`).join(', ')}.`,
      { suggestions: ['Import one with `madenet weights import --arch efficientnet_b4` (b0 for --preset small), or pass --backbone random.'] },
    );
  }
  return { spec, arch: arch as string, variant: variant as EfficientNetVariant };
}

/** Copies the backbone into the classifier (all but the `classifier` head); returns its artifact and the report. */
export async function applyClassifierBackbone(
  plan: ClassifierBackbonePlan,
  model: tf.LayersModel,
  imageSize: number,
): Promise<{ parent: ArtifactRef | null; report: WeightCopyReport | null }> {
  if (plan.arch === null) return { parent: null, report: null };
  const source = await loadBackbone(plan.spec, { arch: plan.arch, seed: 0, inputSize: imageSize });
  try {
    const report = loadBackboneWeights(model, source.backbone);
    return { parent: source.origin.kind === 'random' ? null : source.origin.ref, report };
  } finally {
    source.backbone.dispose();
  }
}
