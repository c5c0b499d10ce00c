// Pretrained image networks that npm packages ship inside their tarball (weights as files, so `npm install`
// is enough and nothing is fetched at run time), loaded from node_modules into a frozen tfjs LayersModel.
// It does not decide which layers a submodel uses (the caller names them) and never touches the network.
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { MadenetError } from '../core/errors.js';

/** One network a package ships: where its files are and what it expects. */
export interface NpmNetSpec {
  /** Registry id, `npm:<package>/<net>`. */
  id: string;
  package: string;
  net: string;
  /** Folder inside the package with `model.min.js` and `group1-shardKofN.min.js` (UMD-wrapped JSON / base64). */
  dir: string;
  shards: number;
  /** The size the network was trained at; convolutional layers take other sizes too. */
  nativeSize: number;
  /** What the network expects as input: madenet images are [0,1] RGB already. */
  input: '[0,1]';
  /** Layers worth extracting, shallow to deep, with their stride relative to the input. */
  layers: readonly { name: string; stride: number; channels: number }[];
  /** Default pair for patch features (PatchCore's layer2+layer3 analogue). */
  defaultLayers: readonly string[];
  /** A global (pooled) layer for whole-image features. */
  globalLayer: string;
  about: string;
}

export const NPM_NETS: readonly NpmNetSpec[] = [
  {
    id: 'npm:nsfwjs/mobilenet_v2',
    package: 'nsfwjs',
    net: 'mobilenet_v2',
    dir: 'dist/models/mobilenet_v2',
    shards: 1,
    nativeSize: 224,
    input: '[0,1]',
    layers: [
      { name: 'block_2_add', stride: 4, channels: 24 },
      { name: 'block_5_add', stride: 8, channels: 32 },
      { name: 'block_9_add', stride: 16, channels: 64 },
      { name: 'block_12_add', stride: 16, channels: 96 },
      { name: 'block_15_add', stride: 32, channels: 160 },
      { name: 'out_relu', stride: 32, channels: 1280 },
    ],
    defaultLayers: ['block_5_add', 'block_12_add'],
    globalLayer: 'out_relu',
    about: 'Keras MobileNetV2 (alpha 1.0), ImageNet-initialised, fine-tuned by nsfwjs on a 5-class image task; 8-bit quantised weights',
  },
  {
    id: 'npm:nsfwjs/inception_v3',
    package: 'nsfwjs',
    net: 'inception_v3',
    dir: 'dist/models/inception_v3',
    shards: 6,
    nativeSize: 299,
    input: '[0,1]',
    layers: [
      { name: 'mixed0', stride: 8, channels: 256 },
      { name: 'mixed1', stride: 8, channels: 288 },
      { name: 'mixed2', stride: 8, channels: 288 },
      { name: 'mixed3', stride: 16, channels: 768 },
      { name: 'mixed5', stride: 16, channels: 768 },
      { name: 'mixed7', stride: 16, channels: 768 },
      { name: 'mixed10', stride: 32, channels: 2048 },
    ],
    defaultLayers: ['mixed2', 'mixed5'],
    globalLayer: 'mixed10',
    about: 'Keras InceptionV3, ImageNet-initialised, fine-tuned by nsfwjs on a 5-class image task; 8-bit quantised weights',
  },
];

export function npmNetSpec(id: string): NpmNetSpec {
  const spec = NPM_NETS.find((n) => n.id === id);
  if (!spec) {
    throw new MadenetError('E_NOT_FOUND', `Unknown packaged network: ${id}; expected one of ${NPM_NETS.map((n) => n.id).join(', ')}.`);
  }
  return spec;
}

export interface PackageInfo {
  name: string;
  version: string;
  license: string;
  dir: string;
}

/** Finds an installed package by walking node_modules up from this module and from the working directory. */
export function findPackage(name: string): PackageInfo | null {
  const here = dirname(fileURLToPath(import.meta.url));
  for (const start of [here, process.cwd()]) {
    let dir = resolve(start);
    for (;;) {
      const candidate = join(dir, 'node_modules', name, 'package.json');
      if (existsSync(candidate)) {
        const pkg = JSON.parse(readFileSync(candidate, 'utf8')) as { version?: string; license?: string };
        return { name, version: pkg.version ?? 'unknown', license: pkg.license ?? 'unknown', dir: dirname(candidate) };
      }
      const up = dirname(dir);
      if (up === dir) break;
      dir = up;
    }
  }
  return null;
}

export interface NpmNetInfo {
  spec: NpmNetSpec;
  pkg: PackageInfo;
}

export function requireNpmNet(id: string): NpmNetInfo {
  const spec = npmNetSpec(id);
  const pkg = findPackage(spec.package);
  if (!pkg) {
    throw new MadenetError('E_NOT_FOUND', `Backbone ${id} needs the npm package ${spec.package}, which is not installed.`, {
      suggestions: [`npm install ${spec.package}`, 'madenet weights list shows which backbones are available.'],
    });
  }
  return { spec, pkg };
}

interface KerasModelJson {
  modelTopology: { model_config?: { config: { layers: { class_name: string; config: Record<string, unknown> }[] } } };
  weightsManifest: { paths: string[]; weights: tf.io.WeightsManifestEntry[] }[];
}

/**
 * Reads a packaged network's model JSON and weights into ModelArtifacts, with the input layer set to
 * inputSize x inputSize (the networks are convolutional up to their pooled head). The files are CommonJS
 * modules that export the JSON object / the base64 weights; they are loaded by absolute path.
 */
export function npmNetArtifacts(info: NpmNetInfo, inputSize: number, outputs?: readonly string[]): tf.io.ModelArtifacts {
  const { spec, pkg } = info;
  const requireHere = createRequire(import.meta.url);
  const folder = join(pkg.dir, spec.dir);
  // A JSON round trip copies the object into this realm (require may hand back another realm's arrays, e.g.
  // under jest's VM modules, which tfjs's iteration helpers reject) and leaves the cached module untouched.
  const json = JSON.parse(JSON.stringify(requireHere(join(folder, 'model.min.js')))) as KerasModelJson;
  const topology = json.modelTopology;
  const layers = topology.model_config?.config.layers;
  const input = layers?.find((l) => l.class_name === 'InputLayer');
  if (!input) throw new MadenetError('E_ARTIFACT', `Packaged network ${spec.id} (${folder}) has no Keras InputLayer; expected a layers model.`);
  input.config.batch_input_shape = [null, inputSize, inputSize, 3];
  if (outputs && layers) {
    // Keep the layers up to the deepest requested one (the list is in topological order) and make the requested
    // layers the outputs: the classifier heads end in Flatten + Dense, whose weights fit the native size only.
    const names = layers.map((l) => (l.config.name as string | undefined) ?? '');
    const missing = outputs.filter((o) => !names.includes(o));
    if (missing.length > 0) {
      throw new MadenetError('E_CONFIG', `Layer ${missing.join(', ')} is not in ${spec.id}; expected one of ${spec.layers.map((l) => l.name).join(', ')}.`);
    }
    const last = Math.max(...outputs.map((o) => names.indexOf(o)));
    layers.splice(last + 1);
    const cfg = topology.model_config?.config as unknown as { output_layers: unknown };
    cfg.output_layers = outputs.map((o) => [o, 0, 0]);
  }
  const weightSpecs: tf.io.WeightsManifestEntry[] = [];
  const buffers: Uint8Array[] = [];
  for (const group of json.weightsManifest) {
    for (const path of group.paths) {
      const base64 = requireHere(join(folder, `${path}.min.js`)) as unknown;
      if (typeof base64 !== 'string') throw new MadenetError('E_ARTIFACT', `Weight shard ${path} of ${spec.id} is not a base64 string; expected the nsfwjs bundle format.`);
      buffers.push(new Uint8Array(Buffer.from(base64, 'base64')));
    }
    weightSpecs.push(...group.weights);
  }
  const total = buffers.reduce((s, b) => s + b.byteLength, 0);
  const all = new Uint8Array(total);
  let offset = 0;
  for (const b of buffers) {
    all.set(b, offset);
    offset += b.byteLength;
  }
  const kept = new Set((layers ?? []).map((l) => String(l.config.name)));
  const { specs, data } = keepWeightsOf(weightSpecs, all, (name) => kept.has(name.split('/')[0] ?? ''));
  return { modelTopology: topology as unknown as tf.io.ModelArtifacts['modelTopology'], weightSpecs: specs, weightData: data.buffer as ArrayBuffer };
}

const BYTES: Record<string, number> = { float32: 4, int32: 4, bool: 1, uint8: 1, uint16: 2, float16: 2 };

/** The weight entries (and their bytes) whose layer is kept: the layers past the outputs are not built, so their weights go. */
function keepWeightsOf(specs: tf.io.WeightsManifestEntry[], data: Uint8Array, keep: (name: string) => boolean): { specs: tf.io.WeightsManifestEntry[]; data: Uint8Array } {
  const parts: Uint8Array[] = [];
  const out: tf.io.WeightsManifestEntry[] = [];
  let offset = 0;
  for (const spec of specs) {
    const dtype = spec.quantization?.dtype ?? spec.dtype;
    const per = BYTES[dtype];
    if (per === undefined) throw new MadenetError('E_ARTIFACT', `Weight ${spec.name} has dtype ${dtype}; expected one of ${Object.keys(BYTES).join(', ')}.`);
    const bytes = spec.shape.reduce((a, b) => a * b, 1) * per;
    if (keep(spec.name)) {
      out.push(spec);
      parts.push(data.subarray(offset, offset + bytes));
    }
    offset += bytes;
  }
  if (offset !== data.byteLength) throw new MadenetError('E_ARTIFACT', `Weight shards hold ${data.byteLength} bytes; the manifest describes ${offset}.`);
  const joined = new Uint8Array(parts.reduce((s, p) => s + p.byteLength, 0));
  let at = 0;
  for (const p of parts) {
    joined.set(p, at);
    at += p.byteLength;
  }
  return { specs: out, data: joined };
}

/**
 * A frozen multi-output model: [N,S,S,3] in [0,1] -> one map per named layer, in the order given; the
 * layers past the deepest requested one (the package's classifier head) are not built.
 */
export async function loadNpmFeatureExtractor(id: string, layerNames: readonly string[], inputSize: number): Promise<{ model: tf.LayersModel; info: NpmNetInfo }> {
  return loadNpmFeatureExtractorFrom(requireNpmNet(id), layerNames, inputSize);
}

/** As loadNpmFeatureExtractor, for a network already located (tests point it at a package written to a temp dir). */
export async function loadNpmFeatureExtractorFrom(info: NpmNetInfo, layerNames: readonly string[], inputSize: number): Promise<{ model: tf.LayersModel; info: NpmNetInfo }> {
  const id = info.spec.id;
  const model = await tf.loadLayersModel(tf.io.fromMemory(npmNetArtifacts(info, inputSize, layerNames)));
  if (model.outputs.length !== layerNames.length) {
    model.dispose();
    throw new MadenetError('E_ARTIFACT', `${id} gave ${model.outputs.length} outputs for ${layerNames.length} requested layers (${layerNames.join(', ')}).`);
  }
  model.trainable = false;
  return { model, info };
}
