// What every artifact-to-ONNX conversion starts with: the recorded model config and the live networks, loaded
// for the conversion and disposed after it. Used by each submodel's onnx-graph.ts and the classifier's export.
import type * as tf from '@tensorflow/tfjs';
import { layersModelFrom, type LoadedArtifact } from '../artifacts/index.js';
import { MadenetError } from '../core/errors.js';

export function modelConfig<T>(artifact: LoadedArtifact): T {
  const cfg = (artifact.manifest.config as { model?: unknown } | null)?.model;
  if (!cfg || typeof cfg !== 'object') throw new MadenetError('E_ARTIFACT', `Artifact ${artifact.dir} has no config.model; expected what its training command records.`);
  return cfg as T;
}

/** Loads the named networks, gives them to `use`, and disposes them whatever happens. */
export async function withModels<T>(artifact: LoadedArtifact, names: readonly string[], use: (models: tf.LayersModel[]) => T): Promise<T> {
  const models: tf.LayersModel[] = [];
  try {
    for (const name of names) models.push(await layersModelFrom(await artifact.modelArtifacts(name)));
    return use(models);
  } finally {
    models.forEach((m) => m.dispose());
  }
}
