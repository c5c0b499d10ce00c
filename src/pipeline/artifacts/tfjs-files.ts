// Converts TensorFlow.js models to and from the files model.json + weights.bin (the tfjs "file://" layout)
// without tfjs-node: saving goes through tf.io.withSaveHandler, loading through tf.io.fromMemory.
import * as tf from '@tensorflow/tfjs';
import { MadenetError } from '../core/errors.js';

export const MODEL_JSON = 'model.json';
export const WEIGHTS_BIN = 'weights.bin';

/** Captures what model.save() would write, in memory. */
export async function modelArtifactsOf(model: Pick<tf.LayersModel, 'save'>): Promise<tf.io.ModelArtifacts> {
  let captured: tf.io.ModelArtifacts | undefined;
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      captured = artifacts;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  if (!captured) throw new MadenetError('E_INTERNAL', 'model.save() finished without handing over its artifacts.');
  return captured;
}

/** The two files of one model; weights.bin is the concatenation of all weight buffers. */
export function modelFiles(artifacts: tf.io.ModelArtifacts, name: string): { json: string; weights: Buffer } {
  if (artifacts.modelTopology instanceof ArrayBuffer || artifacts.modelTopology === undefined) {
    throw new MadenetError('E_ARTIFACT', `Model "${name}" has no JSON topology; expected a tfjs layers or graph model.`);
  }
  const weights = artifacts.weightData === undefined ? new ArrayBuffer(0) : tf.io.CompositeArrayBuffer.join(artifacts.weightData);
  const json: tf.io.ModelJSON = {
    modelTopology: artifacts.modelTopology,
    weightsManifest: [{ paths: [WEIGHTS_BIN], weights: artifacts.weightSpecs ?? [] }],
    format: artifacts.format,
    generatedBy: artifacts.generatedBy,
    convertedBy: artifacts.convertedBy,
    trainingConfig: artifacts.trainingConfig,
    signature: artifacts.signature,
    userDefinedMetadata: artifacts.userDefinedMetadata,
    modelInitializer: artifacts.modelInitializer,
    initializerSignature: artifacts.initializerSignature,
  };
  return { json: JSON.stringify(json), weights: Buffer.from(weights) };
}

/** Rebuilds ModelArtifacts from model.json and a reader for the weight files it names (relative to it). */
export async function modelArtifactsFromFiles(
  jsonText: string,
  readWeights: (relativePath: string) => Promise<Buffer>,
  where: string,
): Promise<tf.io.ModelArtifacts> {
  let json: tf.io.ModelJSON;
  try {
    json = JSON.parse(jsonText) as tf.io.ModelJSON;
  } catch (err) {
    throw new MadenetError('E_WEIGHTS', `${where} is not valid JSON (${(err as Error).message}); expected a tfjs model.json.`);
  }
  if (!json.modelTopology || !Array.isArray(json.weightsManifest)) {
    throw new MadenetError('E_WEIGHTS', `${where} lacks modelTopology or weightsManifest; expected a tfjs model.json.`);
  }
  const specs: tf.io.WeightsManifestEntry[] = [];
  const buffers: ArrayBuffer[] = [];
  for (const group of json.weightsManifest) {
    specs.push(...group.weights);
    for (const p of group.paths) {
      const b = await readWeights(p);
      buffers.push(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer);
    }
  }
  return tf.io.getModelArtifactsForJSONSync(json, specs, tf.io.CompositeArrayBuffer.join(buffers));
}

/** Loads a layers model from artifacts held in memory (no network, no tfjs-node). */
export async function layersModelFrom(artifacts: tf.io.ModelArtifacts): Promise<tf.LayersModel> {
  return tf.loadLayersModel(tf.io.fromMemory(artifacts));
}
