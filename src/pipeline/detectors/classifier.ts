// The ISM pre-classifier behind infer's Classifier contract: from a live model (training) or from an
// artifact written by train-classifier (kind 'classifier', the category list in manifest.config). No training.
import type * as tf from '@tensorflow/tfjs';
import { validateClassifierConfig, type ClassifierConfig } from '../../models/classifier/config.js';
// Imported for its side effect too: it registers the custom layers (normalisation, seeded drop) the saved topology names.
import '../../models/classifier/model.js';
import { classifierProbs } from '../../models/classifier/predict.js';
import { layersModelFrom, loadArtifact } from '../artifacts/index.js';
import { MadenetError } from '../core/errors.js';
import { CLASSIFIER_KIND, type Classifier } from '../infer/classifier-contract.js';

/** What train-classifier stores in manifest.config (the rest describes training). */
export interface ClassifierArtifactConfig {
  model: ClassifierConfig;
  /** Category names in the order of the softmax columns. */
  categories: string[];
}

export function classifierFromModel(model: tf.LayersModel, categories: string[], imageSize: number, ownsModel: boolean): Classifier {
  return {
    categories: [...categories],
    imageSize,
    predict: (images: tf.Tensor4D) => classifierProbs(model, images),
    dispose() {
      if (ownsModel) model.dispose();
    },
  };
}

/** Loads a classifier artifact: a vNNNN directory, or <root>/classifier/all (its LATEST). */
export async function loadClassifier(dir: string): Promise<Classifier> {
  const artifact = await loadArtifact(dir);
  if (artifact.manifest.kind !== CLASSIFIER_KIND) {
    throw new MadenetError('E_ARTIFACT', `Artifact ${artifact.dir} is of kind '${artifact.manifest.kind}'; expected '${CLASSIFIER_KIND}'.`, {
      suggestions: ['Pass the directory written by `madenet train-classifier` (<out>/classifier/all).'],
    });
  }
  const config = artifact.manifest.config as Partial<ClassifierArtifactConfig> | null;
  const categories = config?.categories;
  if (!config?.model || !Array.isArray(categories) || categories.length < 2 || !categories.every((c) => typeof c === 'string')) {
    throw new MadenetError('E_ARTIFACT', `Artifact ${artifact.dir} lacks config.model or config.categories (two or more names); expected what train-classifier records.`);
  }
  validateClassifierConfig(config.model);
  const model = await layersModelFrom(await artifact.modelArtifacts('model'));
  const out = model.outputs[0]?.shape;
  if (out?.[1] !== categories.length || model.inputs[0]?.shape[1] !== config.model.imageSize) {
    model.dispose();
    throw new MadenetError(
      'E_ARTIFACT',
      `Artifact ${artifact.dir}: the network maps ${String(model.inputs[0]?.shape[1])} px to ${String(out?.[1])} classes; expected ${config.model.imageSize} px and ${categories.length} categories.`,
    );
  }
  return classifierFromModel(model, categories, config.model.imageSize, true);
}
