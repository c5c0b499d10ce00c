// Loads any submodel artifact into the shared Detector contract, dispatching on the manifest's kind through the
// submodel registry (src/pipeline/submodels/registry.ts; each submodel's loader is its detector.ts, imported when
// first needed). The pre-classifier's loader is classifier.ts beside this file.
import { loadArtifact, type LoadedArtifact } from '../artifacts/index.js';
import { MadenetError } from '../core/errors.js';
import { findSubmodel, submodelKinds } from '../submodels/registry.js';
import type { ClassifierLoader } from '../infer/classifier-contract.js';
import type { Detector } from './detector.js';

export type DetectorLoader = (artifact: LoadedArtifact) => Promise<Detector>;

export async function loadDetector(pathOrKindDir: string): Promise<Detector> {
  const artifact = await loadArtifact(pathOrKindDir);
  const submodel = findSubmodel(artifact.manifest.kind);
  if (!submodel) {
    throw new MadenetError(
      'E_ARTIFACT',
      `Artifact ${artifact.dir} is of kind '${artifact.manifest.kind}', which is not a submodel; expected one of ${submodelKinds().join(', ')}.`,
    );
  }
  return submodel.loadDetector(artifact);
}

/**
 * The default ClassifierLoader. classifier.ts is imported when first needed, not statically, so that maps
 * without a classifier never load the EfficientNet code.
 */
export const loadClassifierArtifact: ClassifierLoader = async (dir) => {
  const { loadClassifier } = await import('./classifier.js');
  return loadClassifier(dir);
};
