// The artifact a fine-tune continues from: its kind, category, root and the settings it was trained with, which
// give the fine-tune's defaults (the same validation split, a share of its learning rate, its batch size).
import { dirname } from 'node:path';
import { loadArtifact } from '../artifacts/index.js';
import { MadenetError } from '../core/errors.js';
import { isUnsupported, type RecordedTraining, type SubmodelFinetune } from '../submodels/contract.js';
import { findSubmodel, listSubmodels, submodelKinds } from '../submodels/registry.js';
import type { FinetuneParent, ParentDefaults } from './adapter.js';

export type { FinetuneParent, ParentDefaults };

/** The kinds with trained weights to continue. */
function finetunableKinds(): string[] {
  return listSubmodels().filter((s) => !isUnsupported(s.finetune)).map((s) => s.kind);
}

/** "a, b or c", for messages. */
function orList(items: readonly string[]): string {
  return items.length > 1 ? `${items.slice(0, -1).join(', ')} or ${items[items.length - 1]}` : (items[0] ?? 'none');
}

/** The parent and what its kind contributes to the fine-tune (contract.ts SubmodelFinetune). */
export async function loadFinetuneParent(path: string): Promise<FinetuneParent & { spec: SubmodelFinetune }> {
  const artifact = await loadArtifact(path);
  const kind = artifact.manifest.kind;
  const submodel = findSubmodel(kind);
  if (!submodel) {
    throw new MadenetError('E_ARTIFACT', `--model ${path} is a '${kind}' artifact; expected a submodel (${submodelKinds().join(', ')}) from ${orList(finetunableKinds().map((k) => `train-${k}`))}.`);
  }
  if (isUnsupported(submodel.finetune)) {
    throw new MadenetError('E_FINETUNE_UNSUPPORTED', `--model ${path} ${submodel.finetune.unsupported}; expected an ${orList(finetunableKinds())} artifact.`, {
      suggestions: [...(submodel.finetune.suggestions ?? [])],
    });
  }
  const spec = submodel.finetune;
  const config = artifact.manifest.config;
  if (typeof config !== 'object' || config === null || typeof (config as { model?: unknown }).model !== 'object') {
    throw new MadenetError('E_ARTIFACT', `Artifact ${artifact.dir} has no config.model; expected one written by train-${kind} or finetune.`);
  }
  const cfg = config as Record<string, unknown>;
  return {
    artifact,
    kind,
    category: artifact.manifest.category,
    root: dirname(dirname(dirname(artifact.dir))),
    config: cfg,
    defaults: parentDefaults(spec, cfg, artifact.manifest.seed),
    spec,
  };
}

function parentDefaults(spec: SubmodelFinetune, cfg: Record<string, unknown>, seed: number): ParentDefaults {
  const c = cfg as RecordedTraining;
  return {
    valFraction: positive(c.validation?.valFraction) ?? 0.2,
    seed,
    batchSize: positive(c.training?.batchSize) ?? positive(c.model?.batchSize) ?? 4,
    // A fine-tuned parent's rate is already the lowered one.
    lr: positive(c.finetune?.lr) ?? spec.trainedLr(c) * spec.lrFactor,
  };
}

function positive(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) && v > 0 ? v : undefined;
}
