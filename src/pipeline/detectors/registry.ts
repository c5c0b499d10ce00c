// Loads any submodel artifact into the shared Detector contract, dispatching on the manifest's kind.
// Each submodel owns its loader beside this file (srad.ts, sfad.ts, lpd.ts, patchcore.ts); this module only routes.
import { loadArtifact, type LoadedArtifact } from '../artifacts/index.js';
import { MadenetError } from '../cli/errors.js';
import type { Detector, SubmodelKind } from './detector.js';

export type DetectorLoader = (artifact: LoadedArtifact) => Promise<Detector>;

const loaders = new Map<string, () => Promise<DetectorLoader>>([
  ['srad', async () => (await import('./srad.js')).loadSradDetector],
  ['sfad', async () => (await import('./sfad.js')).loadSfadDetector],
  ['lpd', async () => (await import('./lpd.js')).loadLpdDetector],
  ['patchcore', async () => (await import('./patchcore.js')).loadPatchcoreDetector],
]);

export const SUBMODEL_KINDS: readonly SubmodelKind[] = ['srad', 'sfad', 'lpd', 'patchcore'];

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
