// One place that turns a backbone id into a frozen multi-layer feature extractor for the feature-space
// submodels, and lists what ids are available: `random` (seeded ResNet), a `weights import` artifact or an
// LPD artifact (via backbone-source.ts), and `npm:<package>/<net>` networks shipped inside npm packages.
import * as tf from '@tensorflow/tfjs';
import { BACKBONE_ARCHS } from '../../models/components/backbone.js';
import { RESNET_STAGE_STRIDES, type ResNetStage } from '../../models/components/resnet.js';
import { MadenetError } from '../core/errors.js';
import { buildFeatureExtractor } from '../../models/components/feature-extractor.js';
import type { ArtifactRef } from '../artifacts/index.js';
import { loadBackbone, RANDOM_BACKBONE } from './backbone-source.js';
import { findPackage, loadNpmFeatureExtractor, NPM_NETS, npmNetSpec } from './npm-backbone.js';

export const NPM_PREFIX = 'npm:';

/** Where an extractor's weights came from: recorded in the consumer's manifest config (and parents for artifacts). */
export type BackboneProvenance =
  | { kind: 'random'; arch: string; seed: number }
  | { kind: 'backbone' | 'lpd'; arch: string; ref: ArtifactRef }
  | { kind: 'npm'; id: string; package: string; version: string; license: string; net: string };

export interface FeatureExtractorSource {
  /** [N,S,S,3] in [0,1] -> one map per requested layer (in order). Frozen. */
  extractor: tf.LayersModel;
  provenance: BackboneProvenance;
  /** The layers extracted, as asked. */
  layers: string[];
}

export interface ExtractorRequest {
  layers: readonly string[];
  inputSize: number;
  seed: number;
  /** Architecture for `random` (default resnet18). */
  arch?: string;
}

export function isNpmBackbone(spec: string): boolean {
  return spec.startsWith(NPM_PREFIX);
}

/** Default patch layers of a backbone id (null when the id has no recorded default: ResNets use layer2,layer3). */
export function defaultLayersOf(spec: string): { layers: string[]; globalLayer: string | null } | null {
  if (!isNpmBackbone(spec)) return null;
  const net = npmNetSpec(spec);
  return { layers: [...net.defaultLayers], globalLayer: net.globalLayer };
}

/**
 * Stride (input pixels per feature cell) of a layer: a ResNet stage for ResNet backbones, a listed layer of a
 * packaged network for `npm:` ids. Feature-map sides follow from it before anything is built.
 */
export function layerStride(spec: string, layer: string): number {
  if (isNpmBackbone(spec)) {
    const net = npmNetSpec(spec);
    const found = net.layers.find((l) => l.name === layer);
    if (!found) throw new MadenetError('E_CONFIG', `Layer ${layer} is not offered by ${spec}; expected one of ${net.layers.map((l) => l.name).join(', ')}.`);
    return found.stride;
  }
  const stride = RESNET_STAGE_STRIDES[layer as ResNetStage] as number | undefined;
  if (stride === undefined) throw new MadenetError('E_CONFIG', `Layer ${layer} is not a ResNet stage; expected one of ${Object.keys(RESNET_STAGE_STRIDES).join(', ')}.`);
  return stride;
}

/** The manifest-ready provenance of a packaged network (package, version, licence from its installed package.json). */
function npmProvenance(spec: string, info: { pkg: { name: string; version: string; license: string }; spec: { net: string } }): BackboneProvenance {
  return { kind: 'npm', id: spec, package: info.pkg.name, version: info.pkg.version, license: info.pkg.license, net: info.spec.net };
}

export async function loadFeatureExtractor(spec: string, req: ExtractorRequest): Promise<FeatureExtractorSource> {
  if (isNpmBackbone(spec)) {
    const { model, info } = await loadNpmFeatureExtractor(spec, req.layers, req.inputSize);
    return {
      extractor: model,
      layers: [...req.layers],
      provenance: npmProvenance(spec, info),
    };
  }
  const source = await loadBackbone(spec, { arch: req.arch ?? 'resnet18', seed: req.seed, inputSize: req.inputSize });
  try {
    const extractor = buildFeatureExtractor(source.backbone, req.layers);
    const provenance: BackboneProvenance =
      source.origin.kind === 'random' ? { kind: 'random', arch: source.arch, seed: source.origin.seed } : { kind: source.origin.kind, arch: source.arch, ref: source.origin.ref };
    return { extractor, layers: [...req.layers], provenance };
  } catch (err) {
    source.backbone.dispose();
    throw err;
  }
}

/**
 * A frozen backbone for a submodel that builds its own extractor from ResNet stages (SFAD) or takes a packaged
 * network whole: `extractor` is set for `npm:` ids (already cut at `layers`), null otherwise (then `backbone`
 * is the full ResNet with the artifact's or seeded weights). `parent` is the artifact for the manifest's parents.
 */
export interface FrozenBackbone {
  backbone: tf.LayersModel;
  extractor: tf.LayersModel | null;
  /** The ResNet architecture, or the packaged id. */
  arch: string;
  parent: ArtifactRef | null;
  provenance: BackboneProvenance;
}

export async function loadFrozenBackbone(spec: string, req: ExtractorRequest): Promise<FrozenBackbone> {
  if (isNpmBackbone(spec)) {
    const { model, info } = await loadNpmFeatureExtractor(spec, req.layers, req.inputSize);
    return { backbone: model, extractor: model, arch: spec, parent: null, provenance: npmProvenance(spec, info) };
  }
  const source = await loadBackbone(spec, { arch: req.arch ?? 'resnet18', seed: req.seed, inputSize: req.inputSize });
  const origin = source.origin;
  return {
    backbone: source.backbone,
    extractor: null,
    arch: source.arch,
    parent: origin.kind === 'random' ? null : origin.ref,
    provenance: origin.kind === 'random' ? { kind: 'random', arch: source.arch, seed: origin.seed } : { kind: origin.kind, arch: source.arch, ref: origin.ref },
  };
}

export interface BackboneListing {
  id: string;
  source: string;
  available: boolean;
  version: string | null;
  license: string | null;
  nativeSize: number | null;
  layers: string[];
  defaultLayers: string[];
  note: string;
}

/** Every backbone id madenet knows without a path: packaged networks (installed or not) and `random`. */
export function listBackbones(): BackboneListing[] {
  const packaged = NPM_NETS.map((net): BackboneListing => {
    const pkg = findPackage(net.package);
    return {
      id: net.id,
      source: `npm package ${net.package}`,
      available: pkg !== null,
      version: pkg?.version ?? null,
      license: pkg?.license ?? null,
      nativeSize: net.nativeSize,
      layers: net.layers.map((l) => `${l.name} (/${l.stride}, ${l.channels} ch)`),
      defaultLayers: [...net.defaultLayers],
      note: pkg ? net.about : `${net.about}; not installed: npm install ${net.package}`,
    };
  });
  const random: BackboneListing = {
    id: RANDOM_BACKBONE,
    source: 'built in',
    available: true,
    version: null,
    license: null,
    nativeSize: null,
    layers: ['layer1', 'layer2', 'layer3', 'layer4'],
    defaultLayers: ['layer2', 'layer3'],
    note: `seeded random weights (architectures: ${BACKBONE_ARCHS.join(', ')}); a weights-import or LPD artifact directory is also accepted`,
  };
  return [...packaged, random];
}
