// `--backbone` for SRAD: random initialisation, or an HRNet (hrnet_w18 / hrnet_w32) from `weights import`
// whose weights start SRAD's encoder. Reads the artifact's architecture first, because it fixes the encoder.
import type { HrnetConfig } from '../../../../models/components/hrnet.js';
import { HRNET_W18, HRNET_W32 } from '../../../../models/components/hrnet.js';
import { loadSradEncoderWeights, type SradModels } from '../model/model.js';
import { loadArtifact, type ArtifactRef } from '../../../artifacts/index.js';
import { MadenetError } from '../../../core/errors.js';
import { loadBackbone, RANDOM_BACKBONE, refuseWeightsFile } from '../../../weights/backbone-source.js';

const ENCODERS: Record<string, HrnetConfig> = { hrnet_w18: HRNET_W18, hrnet_w32: HRNET_W32 };

export interface SradBackbonePlan {
  spec: string;
  /** hrnet_w18 / hrnet_w32, or null for random. */
  arch: string | null;
  /** The encoder the artifact's weights fit (replaces the preset's), or null to keep the preset's. */
  encoder: HrnetConfig | null;
}

export async function planSradBackbone(spec: string): Promise<SradBackbonePlan> {
  if (spec === RANDOM_BACKBONE) return { spec, arch: null, encoder: null };
  await refuseWeightsFile(spec, 'hrnet_w18');
  const artifact = await loadArtifact(spec);
  const arch = (artifact.manifest.config as { arch?: unknown } | null)?.arch;
  const encoder = typeof arch === 'string' ? ENCODERS[arch] : undefined;
  if (artifact.manifest.kind !== 'backbone' || encoder === undefined) {
    throw new MadenetError(
      'E_WEIGHTS',
      `--backbone ${spec} is a ${artifact.manifest.kind} artifact of architecture ${JSON.stringify(arch ?? null)}; expected a backbone artifact of ${Object.keys(ENCODERS).join(' or ')}.`,
      { suggestions: ['Import one with `madenet weights import --arch hrnet_w18` (or hrnet_w32), or pass --backbone random.'] },
    );
  }
  return { spec, arch: arch as string, encoder };
}

/** Copies the backbone's weights into SRAD's encoder; returns the backbone artifact (a parent) or null. */
export async function applySradBackbone(plan: SradBackbonePlan, models: SradModels, imageSize: number): Promise<ArtifactRef | null> {
  if (plan.arch === null) return null;
  const source = await loadBackbone(plan.spec, { arch: plan.arch, seed: 0, inputSize: imageSize });
  try {
    loadSradEncoderWeights(models, source.backbone);
  } finally {
    source.backbone.dispose();
  }
  return source.origin.kind === 'random' ? null : source.origin.ref;
}
