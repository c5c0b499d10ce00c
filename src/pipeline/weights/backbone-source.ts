// Resolves a `--backbone` value (random, a backbone artifact from `weights import`, or an LPD artifact whose
// backbone was trained self-supervised) into a fresh backbone model with those weights and its lineage.
import type * as tf from '@tensorflow/tfjs';
import { stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { buildBackbone, isBackboneArch, BACKBONE_ARCHS, type BackboneArch } from '../../models/components/backbone.js';
import { transferWeightsByName } from '../../models/components/backbone-transfer.js';
import '../submodels/lpd/model/seeded-dropout.js'; // registers the LPD head's custom layer so LPD models load
import { layersModelFrom, loadArtifact, type ArtifactRef } from '../artifacts/index.js';
import { MadenetError } from '../core/errors.js';

export const RANDOM_BACKBONE = 'random';

export interface BackboneSourceOptions {
  /** The architecture to build for `random`; for artifacts the artifact's own architecture wins. */
  arch: string;
  /** Seed of a random backbone. */
  seed: number;
  /** Fixed input size, for architectures that need one (EfficientNet, HRNet); ResNets take any size. */
  inputSize?: number | null;
}

export interface BackboneSource {
  backbone: tf.LayersModel;
  arch: BackboneArch;
  /** 'random' or the artifact the weights came from: record it in the consumer's manifest parents. */
  origin: { kind: 'random'; seed: number } | { kind: 'backbone' | 'lpd'; ref: ArtifactRef };
}

/** Reads the architecture an artifact was made for: `arch` (backbone artifacts) or `backbone` (LPD configs). */
function archOf(config: unknown, dir: string): BackboneArch {
  const c = (config ?? {}) as { arch?: unknown; backbone?: unknown };
  const arch = typeof c.arch === 'string' ? c.arch : c.backbone;
  if (typeof arch !== 'string' || !isBackboneArch(arch)) {
    throw new MadenetError('E_ARTIFACT', `Artifact ${dir} does not name its backbone architecture (config.arch or config.backbone = ${JSON.stringify(arch)}); expected one of ${BACKBONE_ARCHS.join(', ')}.`);
  }
  return arch;
}

/** File names of weights that `madenet weights import` reads. */
const WEIGHTS_FILE = /\.(safetensors|pth|pt|bin|ckpt)$/i;

/**
 * A weights file given where an artifact is expected (`--backbone resnet18.pth`) gets the one command that turns it
 * into one, instead of "No artifact at ...": --backbone takes artifacts, whose manifests record the import.
 */
export async function refuseWeightsFile(spec: string, arch: string): Promise<void> {
  const info = await stat(spec).catch(() => null);
  const isFile = info?.isFile() === true && basename(spec) !== 'manifest.json';
  if (!isFile && !(info === null && WEIGHTS_FILE.test(spec))) return;
  const archHint = isBackboneArch(arch) ? arch : 'ARCH';
  throw new MadenetError('E_USAGE', `--backbone ${spec} is ${isFile ? 'a file' : 'a weights file name (and does not exist)'}; expected "random", a packaged network (npm:...) or an artifact directory.`, {
    suggestions: [`Import the weights first: madenet weights import ${JSON.stringify(spec)} --arch ${archHint} --out ROOT, then pass --backbone ROOT/backbone/${archHint}.`],
  });
}

export async function loadBackbone(spec: string, opts: BackboneSourceOptions): Promise<BackboneSource> {
  if (spec === RANDOM_BACKBONE) {
    if (!isBackboneArch(opts.arch)) {
      throw new MadenetError('E_CONFIG', `Unknown backbone architecture: ${opts.arch}; expected one of ${BACKBONE_ARCHS.join(', ')}.`);
    }
    return { backbone: buildBackbone(opts.arch, { seed: opts.seed, inputSize: opts.inputSize }), arch: opts.arch, origin: { kind: 'random', seed: opts.seed } };
  }
  if (spec.startsWith('npm:')) {
    // Packaged networks are MobileNetV2 / InceptionV3, not the ResNet or EfficientNet this consumer builds and
    // trains (LPD fine-tunes its ResNet; weights cannot move between architectures), so they are refused by name.
    throw new MadenetError('E_CONFIG', `Backbone ${spec} is a packaged network; this command needs a ${opts.arch}-shaped backbone (random, a weights-import artifact or an LPD artifact).`, {
      suggestions: ['Packaged networks serve train-sfad, train-patchcore and train-classifier (--backbone npm:...).'],
    });
  }
  await refuseWeightsFile(spec, opts.arch);
  const artifact = await loadArtifact(spec).catch((err: unknown) => {
    if (err instanceof MadenetError) throw err;
    throw new MadenetError('E_NOT_FOUND', `Backbone ${spec} is neither "random" nor a readable artifact (${(err as Error).message}).`, {
      suggestions: ['Pass --backbone random, a directory written by `madenet weights import`, or an LPD artifact directory.'],
    });
  });
  const kind = artifact.manifest.kind;
  if (kind !== 'backbone' && kind !== 'lpd') {
    throw new MadenetError('E_ARTIFACT', `Artifact ${artifact.dir} is a ${kind} artifact; expected a backbone artifact (weights import) or an LPD artifact.`);
  }
  const arch = archOf(artifact.manifest.config, artifact.dir);
  const modelName = artifact.manifest.models.includes('backbone') ? 'backbone' : 'model';
  const source = await layersModelFrom(await artifact.modelArtifacts(modelName));
  const backbone = buildBackbone(arch, { seed: null, inputSize: opts.inputSize });
  try {
    transferWeightsByName(source, backbone);
  } catch (err) {
    backbone.dispose();
    throw err;
  } finally {
    source.dispose();
  }
  return { backbone, arch, origin: { kind, ref: artifact.ref } };
}
