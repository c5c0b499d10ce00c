// Loads any submodel artifact into the shared Detector contract, dispatching on the manifest's kind.
// Each submodel owns its loader beside this file (srad.ts, sfad.ts, lpd.ts, patchcore.ts; the pre-classifier classifier.ts);
// this module only routes, importing each loader when first needed.
import { loadArtifact, type LoadedArtifact } from '../artifacts/index.js';
import { MadenetError } from '../core/errors.js';
import { SUBMODEL_KINDS } from '../core/submodel-kinds.js';
import type { ClassifierLoader } from '../infer/classifier-contract.js';
import type { Detector } from './detector.js';

export type DetectorLoader = (artifact: LoadedArtifact) => Promise<Detector>;

const loaders = new Map<string, () => Promise<DetectorLoader>>([
  ['srad', async () => (await import('../submodels/srad/detector.js')).loadSradDetector],
  ['sfad', async () => (await import('../submodels/sfad/detector.js')).loadSfadDetector],
  ['lpd', async () => (await import('../submodels/lpd/detector.js')).loadLpdDetector],
  ['patchcore', async () => (await import('../submodels/patchcore/detector.js')).loadPatchcoreDetector],
]);

// The one list (core/submodel-kinds.ts), re-exported beside the loaders that route by it.
export { SUBMODEL_KINDS };

export async function loadDetector(pathOrKindDir: string): Promise<Detector> {
  const artifact = await loadArtifact(pathOrKindDir);
  const make = loaders.get(artifact.manifest.kind);
  if (!make) {
    throw new MadenetError(
      'E_ARTIFACT',
      `Artifact ${artifact.dir} is of kind '${artifact.manifest.kind}', which is not a submodel; expected one of ${SUBMODEL_KINDS.join(', ')}.`,
    );
  }
  return (await make())(artifact);
}

/**
 * The default ClassifierLoader. classifier.ts is imported when first needed, not statically, so that maps
 * without a classifier never load the EfficientNet code.
 */
export const loadClassifierArtifact: ClassifierLoader = async (dir) => {
  const { loadClassifier } = await import('./classifier.js');
  return loadClassifier(dir);
};
