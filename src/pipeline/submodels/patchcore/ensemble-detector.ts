// A PatchCore ensemble behind the Detector contract: two (or more) PatchCore banks on different backbones, each a
// PatchCore artifact of its own, combined by train-patchcore-ensemble into one artifact of kind 'patchcore' whose
// config names its members (paths relative to its own folder) and how to standardise them:
//   score = sum_i (s_i - mu_i) / sd_i     (mu, sd: member i's image scores of the held-out train normals)
//   map   = sum_i map_i / c_i             (c_i: the mean max of member i's held-out normal maps; stays >= 0)
// so that neither backbone's distance scale dominates. The members must share the input size.
import * as tf from '@tensorflow/tfjs';
import { resolve } from 'node:path';
import { loadArtifact, type LoadedArtifact } from '../../artifacts/index.js';
import { MadenetError } from '../../core/errors.js';
import type { Detector } from '../../detectors/detector.js';

/** One member as the ensemble artifact records it. */
export interface PatchcoreEnsembleMember {
  /** The member's vNNNN folder, relative to the ensemble's own vNNNN folder (e.g. ../v0001). */
  dir: string;
  scoreMean: number;
  scoreStd: number;
  mapScale: number;
}

export interface PatchcoreEnsembleConfig {
  ensemble: { members: PatchcoreEnsembleMember[] };
}

export function isPatchcoreEnsembleConfig(config: unknown): config is PatchcoreEnsembleConfig {
  const e = (config as Partial<PatchcoreEnsembleConfig> | null)?.ensemble;
  return typeof e === 'object' && e !== null && Array.isArray(e.members);
}

export function patchcoreEnsembleDetector(
  members: readonly { detector: Detector; scoreMean: number; scoreStd: number; mapScale: number }[],
  opts: { category: string; artifactDir: string | null; ownsMembers: boolean },
): Detector {
  const first = members[0];
  if (!first) throw new MadenetError('E_CONFIG', 'A PatchCore ensemble needs at least one member; got none.');
  const size = first.detector.imageSize;
  const other = members.find((m) => m.detector.imageSize !== size);
  if (other) throw new MadenetError('E_CONFIG', `PatchCore ensemble members take ${size} and ${other.detector.imageSize} px inputs; expected one size for all.`);
  for (const m of members) {
    if (!(m.scoreStd > 0 && m.mapScale > 0 && Number.isFinite(m.scoreMean))) {
      throw new MadenetError('E_CONFIG', `PatchCore ensemble member standardisation is mean ${m.scoreMean}, spread ${m.scoreStd}, map scale ${m.mapScale}; expected a finite mean and positive spread and scale.`);
    }
  }
  return {
    kind: 'patchcore',
    category: opts.category,
    imageSize: size,
    artifactDir: opts.artifactDir,
    predict(images: tf.Tensor4D) {
      return tf.tidy(() => {
        const outs = members.map((m) => m.detector.predict(images));
        const scores = outs.map((o, i) => o.scores.sub((members[i] as (typeof members)[number]).scoreMean).div((members[i] as (typeof members)[number]).scoreStd));
        const maps = outs.map((o, i) => o.maps.div((members[i] as (typeof members)[number]).mapScale));
        return { scores: tf.addN(scores) as tf.Tensor1D, maps: tf.addN(maps) as tf.Tensor3D };
      });
    },
    dispose() {
      if (opts.ownsMembers) for (const m of members) m.detector.dispose();
    },
  };
}

/** The ensemble artifact -> its members (each loaded as a plain PatchCore artifact) combined. */
export async function loadPatchcoreEnsemble(artifact: LoadedArtifact, loadMember: (a: LoadedArtifact) => Promise<Detector>): Promise<Detector> {
  const config = artifact.manifest.config;
  if (!isPatchcoreEnsembleConfig(config) || config.ensemble.members.length === 0) {
    throw new MadenetError('E_ARTIFACT', `Artifact ${artifact.dir} has no ensemble members; expected config.ensemble.members from train-patchcore-ensemble.`);
  }
  const loaded: { detector: Detector; scoreMean: number; scoreStd: number; mapScale: number }[] = [];
  try {
    for (const m of config.ensemble.members) {
      const member = await loadArtifact(resolve(artifact.dir, m.dir)).catch((err: unknown) => {
        // A copied or pruned ensemble folder: say which artifact needs the member, not only that a path is empty.
        if (!(err instanceof MadenetError && err.code === 'E_NOT_FOUND')) throw err;
        throw new MadenetError('E_ARTIFACT', `PatchCore ensemble ${artifact.dir} needs its member ${m.dir} (${resolve(artifact.dir, m.dir)}), which is missing; expected the member versions beside the ensemble version.`, {
          suggestions: ['Copy or keep the whole <root>/patchcore/<category> folder (the ensemble and its member versions), or train the ensemble again.'],
        });
      });
      if (isPatchcoreEnsembleConfig(member.manifest.config)) throw new MadenetError('E_ARTIFACT', `Ensemble member ${member.dir} is itself an ensemble; expected a plain PatchCore artifact.`);
      loaded.push({ detector: await loadMember(member), scoreMean: m.scoreMean, scoreStd: m.scoreStd, mapScale: m.mapScale });
    }
    return patchcoreEnsembleDetector(loaded, { category: artifact.manifest.category, artifactDir: artifact.dir, ownsMembers: true });
  } catch (err) {
    for (const l of loaded) l.detector.dispose();
    throw err;
  }
}
