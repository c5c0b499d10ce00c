// What every submodel loader (and every ONNX conversion) starts with: the artifact checked to be of the expected
// kind, its recorded model config, and its networks loaded all-or-nothing (none left alive when one fails).
import type * as tf from '@tensorflow/tfjs';
import { layersModelFrom, type LoadedArtifact } from '../artifacts/index.js';
import { MadenetError } from '../core/errors.js';

/**
 * manifest.config.model, unvalidated (the caller validates it with its kind's validator). With `kind`, an artifact
 * of another kind is refused first. `expected` completes "expected ..." (e.g. 'the SradConfig train-srad records').
 */
export function artifactModelConfig<T>(artifact: LoadedArtifact, expected: string, kind?: string): T {
  if (kind !== undefined && artifact.manifest.kind !== kind) {
    throw new MadenetError('E_ARTIFACT', `Artifact ${artifact.dir} is of kind '${artifact.manifest.kind}'; expected '${kind}'.`);
  }
  const cfg = (artifact.manifest.config as { model?: unknown } | null)?.model;
  if (!cfg || typeof cfg !== 'object') throw new MadenetError('E_ARTIFACT', `Artifact ${artifact.dir} has no config.model; expected ${expected}.`);
  return cfg as T;
}

/** The named networks in order; if any fails to load, those loaded are disposed and the error rethrown. */
export async function loadNetworks(artifact: LoadedArtifact, names: readonly string[]): Promise<tf.LayersModel[]> {
  const loaded: tf.LayersModel[] = [];
  try {
    for (const name of names) loaded.push(await layersModelFrom(await artifact.modelArtifacts(name)));
    return loaded;
  } catch (err) {
    loaded.forEach((m) => m.dispose());
    throw err;
  }
}

/** Loads the named networks, gives them to `use`, and disposes them whatever happens (ONNX conversion). */
export async function withNetworks<T>(artifact: LoadedArtifact, names: readonly string[], use: (models: tf.LayersModel[]) => T): Promise<T> {
  const models = await loadNetworks(artifact, names);
  try {
    return use(models);
  } finally {
    models.forEach((m) => m.dispose());
  }
}
