// Submodels and the pre-classifier run by onnxruntime from an artifact's exported model.onnx (see
// src/pipeline/export): the same inputs and outputs as their tfjs Detector/Classifier, asynchronously.
import { isKindShaped } from '../core/submodel-kinds.js';
import { MadenetError } from '../core/errors.js';
import { CLASSIFIER_KIND } from '../infer/classifier-contract.js';
import { ONNX_MAPS, ONNX_PROBS, ONNX_SCORES } from '../export/onnx-contract.js';
import type { AsyncClassifier, AsyncDetector } from './async-detector.js';
import { loadOnnxArtifact } from './onnx-artifact.js';
import { sessionProviders } from './execution-provider.js';
import { createOrtSession, runOrt, type OrtSession, type OrtSessionOptions } from './onnxruntime.js';

/** threads: intra-op threads (0 or absent = one per core), as --threads; executionProvider: default cpu. */
export type OnnxEngineOptions = OrtSessionOptions;

/** Image side the artifact's model takes (every kind records it in config.model.imageSize). */
function imageSizeOf(config: unknown, dir: string): number {
  const size = (config as { model?: { imageSize?: unknown } } | null)?.model?.imageSize;
  if (typeof size !== 'number' || !Number.isInteger(size) || size < 1) {
    throw new MadenetError('E_ARTIFACT', `Artifact ${dir} has no config.model.imageSize; expected the config its training command records.`);
  }
  return size;
}

function checkDims(what: string, dims: readonly number[], want: readonly number[], dir: string): void {
  if (dims.length !== want.length || dims.some((d, i) => d !== want[i])) {
    throw new MadenetError('E_ENGINE', `The ONNX model of ${dir} returned ${what} [${dims.join(',')}]; expected [${want.join(',')}].`);
  }
}

function release(session: OrtSession): void {
  // release() is async in the API but frees synchronously in onnxruntime-node; a failure here only leaks.
  void session.release().catch(() => undefined);
}

/** An AsyncDetector over `<dir>/model.onnx` (dir: a version with a passed parity record). */
export async function loadOnnxDetector(dir: string, opts: OnnxEngineOptions = {}): Promise<AsyncDetector> {
  const { artifact, bytes } = await loadOnnxArtifact(dir);
  const kind = artifact.manifest.kind;
  // The engine sits below the submodel registry: it refuses what is plainly no submodel (the pre-classifier has a
  // model.onnx too); that the kind is registered was checked where the artifact was chosen (perfmap, registry).
  if (kind === CLASSIFIER_KIND || !isKindShaped(kind)) {
    throw new MadenetError('E_ARTIFACT', `Artifact ${artifact.dir} is of kind '${artifact.manifest.kind}'; expected a submodel (loadOnnxClassifier reads the pre-classifier).`);
  }
  const info = { kind, category: artifact.manifest.category, imageSize: imageSizeOf(artifact.manifest.config, artifact.dir), artifactDir: artifact.dir };
  return onnxDetectorFromBytes(bytes, info, opts);
}

/** An AsyncDetector over ONNX bytes following onnx-contract.ts (export's parity check runs it before writing). */
export async function onnxDetectorFromBytes(
  bytes: Uint8Array,
  info: Pick<AsyncDetector, 'kind' | 'category' | 'imageSize' | 'artifactDir'>,
  opts: OnnxEngineOptions = {},
): Promise<AsyncDetector> {
  const session = await createOrtSession(bytes, opts);
  const size = info.imageSize;
  const where = info.artifactDir ?? `the ${info.kind} export`;
  return {
    ...info,
    engine: 'onnx',
    executionProviders: sessionProviders(opts.executionProvider ?? 'cpu'),
    async predictAsync(images, n) {
      const out = await runOrt(session, images, [n, size, size, 3]);
      const scores = out[ONNX_SCORES];
      const maps = out[ONNX_MAPS];
      if (!scores || !maps) throw new MadenetError('E_ENGINE', `The ONNX model of ${where} lacks the ${ONNX_SCORES}/${ONNX_MAPS} outputs.`);
      checkDims(ONNX_SCORES, scores.dims, [n], where);
      checkDims(ONNX_MAPS, maps.dims, [n, size, size], where);
      return { scores: scores.data, maps: maps.data };
    },
    dispose: () => release(session),
  };
}

/** An AsyncClassifier over a classifier artifact's model.onnx; categories from config.categories. */
export async function loadOnnxClassifier(dir: string, opts: OnnxEngineOptions = {}): Promise<AsyncClassifier> {
  const { artifact, bytes } = await loadOnnxArtifact(dir);
  if (artifact.manifest.kind !== CLASSIFIER_KIND) {
    throw new MadenetError('E_ARTIFACT', `Artifact ${artifact.dir} is of kind '${artifact.manifest.kind}'; expected '${CLASSIFIER_KIND}'.`);
  }
  const categories = (artifact.manifest.config as { categories?: unknown } | null)?.categories;
  if (!Array.isArray(categories) || categories.length < 2 || !categories.every((c) => typeof c === 'string')) {
    throw new MadenetError('E_ARTIFACT', `Artifact ${artifact.dir} lacks config.categories; expected what train-classifier records.`);
  }
  return onnxClassifierFromBytes(bytes, { categories: categories as string[], imageSize: imageSizeOf(artifact.manifest.config, artifact.dir) }, opts);
}

export async function onnxClassifierFromBytes(bytes: Uint8Array, info: Pick<AsyncClassifier, 'categories' | 'imageSize'>, opts: OnnxEngineOptions = {}): Promise<AsyncClassifier> {
  const session = await createOrtSession(bytes, opts);
  const size = info.imageSize;
  const k = info.categories.length;
  return {
    categories: [...info.categories],
    imageSize: size,
    engine: 'onnx',
    executionProviders: sessionProviders(opts.executionProvider ?? 'cpu'),
    async predictAsync(images, n) {
      const probs = (await runOrt(session, images, [n, size, size, 3]))[ONNX_PROBS];
      if (!probs) throw new MadenetError('E_ENGINE', `The classifier's ONNX model lacks the ${ONNX_PROBS} output.`);
      checkDims(ONNX_PROBS, probs.dims, [n, k], 'the classifier export');
      return probs.data;
    },
    dispose: () => release(session),
  };
}
