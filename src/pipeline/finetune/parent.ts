// The artifact a fine-tune continues from: its kind, category, root and the settings it was trained with, which
// give the fine-tune's defaults (the same validation split, a share of its learning rate, its batch size).
import { dirname } from 'node:path';
import { loadArtifact, type LoadedArtifact } from '../artifacts/index.js';
import { MadenetError } from '../core/errors.js';
import type { FinetunableKind } from '../detectors/detector.js';
import { SUBMODEL_KINDS } from '../detectors/registry.js';

/**
 * The default fine-tuning rate as a share of the rate the parent was trained with. Measured on two demo categories
 * (5 epochs, tiny presets): SRAD and SFAD (Adam) gained 2-3x more Pixel-AP at half their rate than at a tenth;
 * LPD (SGD over its whole backbone, whose features its GDE localises with) was unstable at half and steady at a tenth.
 */
export const FINETUNE_LR_FACTORS: Record<FinetunableKind, number> = { srad: 0.5, sfad: 0.5, lpd: 0.1 };

export interface ParentDefaults {
  valFraction: number;
  seed: number;
  batchSize: number;
  lr: number;
}

export interface FinetuneParent {
  artifact: LoadedArtifact;
  kind: FinetunableKind;
  category: string;
  /** The artifact root it lives in (<root>/<kind>/<category>/vNNNN). */
  root: string;
  config: Record<string, unknown>;
  defaults: ParentDefaults;
}

export async function loadFinetuneParent(path: string): Promise<FinetuneParent> {
  const artifact = await loadArtifact(path);
  const kind = artifact.manifest.kind;
  if (!(SUBMODEL_KINDS as readonly string[]).includes(kind)) {
    throw new MadenetError('E_ARTIFACT', `--model ${path} is a '${kind}' artifact; expected a submodel (${SUBMODEL_KINDS.join(', ')}) from train-srad, train-sfad or train-lpd.`);
  }
  if (kind === 'patchcore') {
    throw new MadenetError('E_FINETUNE_UNSUPPORTED', `--model ${path} is a PatchCore memory bank, which has no trained weights to fine-tune; expected an srad, sfad or lpd artifact.`, {
      suggestions: ['To add normals, re-run train-patchcore with them in the train split: it rebuilds the bank in minutes.'],
    });
  }
  const config = artifact.manifest.config;
  if (typeof config !== 'object' || config === null || typeof (config as { model?: unknown }).model !== 'object') {
    throw new MadenetError('E_ARTIFACT', `Artifact ${artifact.dir} has no config.model; expected one written by train-${kind} or finetune.`);
  }
  const cfg = config as Record<string, unknown>;
  return {
    artifact,
    kind: kind as FinetunableKind,
    category: artifact.manifest.category,
    root: dirname(dirname(dirname(artifact.dir))),
    config: cfg,
    defaults: parentDefaults(kind as FinetunableKind, cfg, artifact.manifest.seed),
  };
}

interface Recorded {
  model?: { batchSize?: number; lrDiscriminator?: number; learningRate?: number };
  training?: { batchSize?: number; schedule?: { baseLr?: number } };
  validation?: { valFraction?: number };
  finetune?: { lr?: number };
}

function parentDefaults(kind: FinetunableKind, cfg: Record<string, unknown>, seed: number): ParentDefaults {
  const c = cfg as Recorded;
  const trainedLr = kind === 'srad' ? c.training?.schedule?.baseLr ?? 1e-3 : kind === 'sfad' ? c.model?.lrDiscriminator ?? 2e-4 : c.model?.learningRate ?? 0.01;
  return {
    valFraction: positive(c.validation?.valFraction) ?? 0.2,
    seed,
    batchSize: positive(c.training?.batchSize) ?? positive(c.model?.batchSize) ?? 4,
    // A fine-tuned parent's rate is already the lowered one.
    lr: positive(c.finetune?.lr) ?? trainedLr * FINETUNE_LR_FACTORS[kind],
  };
}

function positive(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) && v > 0 ? v : undefined;
}
