// One place that turns a backbone id into a frozen multi-layer feature extractor for the feature-space
// submodels, and lists what ids are available: `random` (seeded ResNet), a `weights import` artifact or an
// LPD artifact (via backbone-source.ts), and `npm:<package>/<net>` networks shipped inside npm packages.
import * as tf from '@tensorflow/tfjs';
import { BACKBONE_ARCHS } from '../../models/components/backbone.js';
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

export async function loadFeatureExtractor(spec: string, req: ExtractorRequest): Promise<FeatureExtractorSource> {
  if (isNpmBackbone(spec)) {
    const { model, info } = await loadNpmFeatureExtractor(spec, req.layers, req.inputSize);
    return {
      extractor: model,
      layers: [...req.layers],
      provenance: { kind: 'npm', id: spec, package: info.pkg.name, version: info.pkg.version, license: info.pkg.license, net: info.spec.net },
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
