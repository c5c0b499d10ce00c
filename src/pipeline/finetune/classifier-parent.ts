// The pre-classifier a fine-tune continues from: its artifact (kind 'classifier'), network config, category order,
// the root it lives in and the settings it was trained with, which give the fine-tune's defaults (its validation
// split, a tenth of its rate, its batch size). Also rebuilds it as a trainable network with the saved weights.
import type * as tf from '@tensorflow/tfjs';
import { dirname } from 'node:path';
import { validateClassifierConfig, type ClassifierConfig } from '../../models/classifier/config.js';
import { buildClassifier } from '../../models/classifier/model.js';
import { layersModelFrom, loadArtifact, type LoadedArtifact } from '../artifacts/index.js';
import { MadenetError } from '../core/errors.js';
import { CLASSIFIER_KIND } from '../infer/classifier-contract.js';
import { setWeightsFromArtifacts } from '../train/train-checkpoint.js';

/**
 * The default fine-tuning rate as a share of the parent's Adam rate. On the quick demo's data (4 categories, tiny
 * preset trained at 3e-3, 5 epochs) a tenth and three tenths left equally few held-out images under the routing
 * threshold, but three tenths routed one test defect confidently to the wrong category; a tenth none.
 */
export const CLASSIFIER_FINETUNE_LR_FACTOR = 0.1;

export interface ClassifierParentDefaults {
  valFraction: number;
  seed: number;
  batchSize: number;
  lr: number;
}

export interface ClassifierFinetuneParent {
  artifact: LoadedArtifact;
  model: ClassifierConfig;
  /** Category names in the order of the softmax columns. */
  categories: string[];
  /** The artifact root it lives in (<root>/classifier/<category>/vNNNN). */
  root: string;
  config: Record<string, unknown>;
  defaults: ClassifierParentDefaults;
}

interface Recorded {
  model?: ClassifierConfig;
  categories?: unknown;
  training?: { batchSize?: number; schedule?: { baseLr?: number } };
  validation?: { valFraction?: number; seed?: number };
  finetune?: { lr?: number };
}

export async function loadClassifierParent(path: string): Promise<ClassifierFinetuneParent> {
  return classifierParentOf(await loadArtifact(path));
}

export function classifierParentOf(artifact: LoadedArtifact): ClassifierFinetuneParent {
  if (artifact.manifest.kind !== CLASSIFIER_KIND) {
    throw new MadenetError('E_ARTIFACT', `Artifact ${artifact.dir} is of kind '${artifact.manifest.kind}'; expected '${CLASSIFIER_KIND}' (from train-classifier).`);
  }
  const cfg = (artifact.manifest.config ?? {}) as Recorded & Record<string, unknown>;
  const categories = cfg.categories;
  if (!cfg.model || !Array.isArray(categories) || categories.length < 2 || !categories.every((c): c is string => typeof c === 'string')) {
    throw new MadenetError('E_ARTIFACT', `Artifact ${artifact.dir} lacks config.model or config.categories (two or more names); expected what train-classifier records.`);
  }
  validateClassifierConfig(cfg.model);
  const seed = positiveInt(cfg.validation?.seed) ?? artifact.manifest.seed;
  return {
    artifact,
    model: cfg.model,
    categories: [...categories],
    root: dirname(dirname(dirname(artifact.dir))),
    config: cfg,
    defaults: {
      valFraction: positive(cfg.validation?.valFraction) ?? 0.2,
      seed,
      batchSize: positive(cfg.training?.batchSize) ?? 16,
      // A fine-tuned parent's rate is already the lowered one.
      lr: positive(cfg.finetune?.lr) ?? (positive(cfg.training?.schedule?.baseLr) ?? 1e-3) * CLASSIFIER_FINETUNE_LR_FACTOR,
    },
  };
}

/** A trainable network built as train-classifier builds it, holding the parent's weights (BN statistics included). */
export async function buildParentClassifier(parent: ClassifierFinetuneParent): Promise<tf.LayersModel> {
  if (parent.model.network) {
    // A packaged body is not rebuilt from a recipe: the saved network is the whole classifier, loaded as it is.
    const loaded = await layersModelFrom(await parent.artifact.modelArtifacts('model'));
    loaded.layers.forEach((l) => {
      l.trainable = true;
    });
    return loaded;
  }
  const model = buildClassifier(parent.model, parent.categories.length);
  try {
    setWeightsFromArtifacts(model, await parent.artifact.modelArtifacts('model'), `${parent.artifact.dir} model`);
  } catch (err) {
    model.dispose();
    throw err;
  }
  return model;
}

function positive(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) && v > 0 ? v : undefined;
}

function positiveInt(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isInteger(v) && v >= 0 ? v : undefined;
}
