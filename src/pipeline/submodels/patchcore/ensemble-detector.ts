// A PatchCore ensemble behind the inference contracts: two (or more) PatchCore banks on different backbones, each a
// PatchCore artifact of its own, combined by train-patchcore-ensemble into one artifact of kind 'patchcore' whose
// config names its members (paths relative to its own folder) and how to standardise them. The combination and the
// members' checks are model/ensemble.ts's (one function for tensors and arrays); here are the two detector forms:
// the tfjs Detector and the async one (training's validation, and inference with the backbones in onnxruntime).
import * as tf from '@tensorflow/tfjs';
import { resolve } from 'node:path';
import { loadArtifact, type LoadedArtifact } from '../../artifacts/index.js';
import { MadenetError } from '../../core/errors.js';
import type { Detector } from '../../detectors/detector.js';
import type { AsyncDetector, BatchOutput, EngineName } from '../../engines/async-detector.js';
import { arrayArithmetic, combineEnsemble, ensembleInputSize, tensorArithmetic, type EnsembleStandardisation } from './model/ensemble.js';

/** One member as the ensemble artifact records it. */
export interface PatchcoreEnsembleMember extends EnsembleStandardisation {
  /** The member's vNNNN folder, relative to the ensemble's own vNNNN folder (e.g. ../v0001). */
  dir: string;
}

export interface PatchcoreEnsembleConfig {
  ensemble: { members: PatchcoreEnsembleMember[] };
}

/** A member detector with its standardisation. */
export type EnsemblePart<D> = { detector: D } & EnsembleStandardisation;

export function isPatchcoreEnsembleConfig(config: unknown): config is PatchcoreEnsembleConfig {
  const e = (config as Partial<PatchcoreEnsembleConfig> | null)?.ensemble;
  return typeof e === 'object' && e !== null && Array.isArray(e.members);
}

function checkedSize(members: readonly EnsemblePart<{ imageSize: number }>[]): number {
  return ensembleInputSize(members.map((m) => ({ imageSize: m.detector.imageSize, std: m })));
}

export function patchcoreEnsembleDetector(members: readonly EnsemblePart<Detector>[], opts: { category: string; artifactDir: string | null; ownsMembers: boolean }): Detector {
  const size = checkedSize(members);
  return {
    kind: 'patchcore',
    category: opts.category,
    imageSize: size,
    artifactDir: opts.artifactDir,
    predict(images: tf.Tensor4D) {
      return tf.tidy(() => {
        const c = combineEnsemble(
          members.map((m) => m.detector.predict(images)),
          members,
          tensorArithmetic,
        );
        return { scores: c.scores as tf.Tensor1D, maps: c.maps as tf.Tensor3D };
      });
    },
    dispose() {
      if (opts.ownsMembers) for (const m of members) m.detector.dispose();
    },
  };
}

/**
 * The members behind the async contract, combined as the tfjs ensemble combines them. `engine` is onnx only when
 * every member runs its backbone in onnxruntime. Members run one after another (each may use every core).
 */
export function patchcoreEnsembleAsyncDetector(members: readonly EnsemblePart<AsyncDetector>[], opts: { category: string; artifactDir: string | null; ownsMembers: boolean }): AsyncDetector {
  const size = checkedSize(members);
  const engine: EngineName = members.every((m) => m.detector.engine === 'onnx') ? 'onnx' : 'tfjs';
  return {
    kind: 'patchcore',
    category: opts.category,
    imageSize: size,
    artifactDir: opts.artifactDir,
    engine,
    async predictAsync(images, n): Promise<BatchOutput> {
      const outs: BatchOutput[] = [];
      for (const m of members) outs.push(await m.detector.predictAsync(images, n));
      return combineEnsemble(outs, members, arrayArithmetic);
    },
    dispose() {
      if (opts.ownsMembers) for (const m of members) m.detector.dispose();
    },
  };
}

/** The ensemble artifact's members, each loaded (as a plain PatchCore artifact) by `loadMember`; all or none. */
async function loadMembers<D extends { dispose(): void }>(artifact: LoadedArtifact, loadMember: (a: LoadedArtifact) => Promise<D>): Promise<EnsemblePart<D>[]> {
  const config = artifact.manifest.config;
  if (!isPatchcoreEnsembleConfig(config) || config.ensemble.members.length === 0) {
    throw new MadenetError('E_ARTIFACT', `Artifact ${artifact.dir} has no ensemble members; expected config.ensemble.members from train-patchcore-ensemble.`);
  }
  const loaded: EnsemblePart<D>[] = [];
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
    return loaded;
  } catch (err) {
    for (const l of loaded) l.detector.dispose();
    throw err;
  }
}

/** Combines loaded members, releasing them if the combination is refused (e.g. mixed input sizes). */
function combined<D extends { dispose(): void }, R>(members: EnsemblePart<D>[], make: () => R): R {
  try {
    return make();
  } catch (err) {
    for (const m of members) m.detector.dispose();
    throw err;
  }
}

/** The ensemble artifact -> its members (each loaded as a plain PatchCore artifact) combined. */
export async function loadPatchcoreEnsemble(artifact: LoadedArtifact, loadMember: (a: LoadedArtifact) => Promise<Detector>): Promise<Detector> {
  const members = await loadMembers(artifact, loadMember);
  return combined(members, () => patchcoreEnsembleDetector(members, { category: artifact.manifest.category, artifactDir: artifact.dir, ownsMembers: true }));
}

/** The same behind the async contract, members loaded by `loadMember` (e.g. with their backbones in onnxruntime). */
export async function loadPatchcoreEnsembleAsync(artifact: LoadedArtifact, loadMember: (a: LoadedArtifact) => Promise<AsyncDetector>): Promise<AsyncDetector> {
  const members = await loadMembers(artifact, loadMember);
  return combined(members, () => patchcoreEnsembleAsyncDetector(members, { category: artifact.manifest.category, artifactDir: artifact.dir, ownsMembers: true }));
}
