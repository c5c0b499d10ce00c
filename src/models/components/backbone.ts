// The backbone registry: which architectures exist, how to build one with a seed, and which safetensors
// names they take (torchvision for ResNets, timm for EfficientNet/HRNet). Building only; weights load elsewhere.
import type * as tf from '@tensorflow/tfjs';
import { MadenetError } from '../../pipeline/core/errors.js';
import { buildEfficientNetBackbone, EFFICIENTNET_VARIANTS, type EfficientNetVariant } from './efficientnet.js';
import { buildHrnetEncoder, HRNET_W18, HRNET_W32 } from './hrnet.js';
import { buildResNet, isResNetArch, RESNET_ARCHS } from './resnet.js';

/** Every architecture `weights import --arch` accepts (resnet_tiny is ours alone, so it has no file to import). */
export const IMPORTABLE_ARCHS = [
  'resnet18',
  'resnet50',
  'wide_resnet50_2',
  ...EFFICIENTNET_VARIANTS.map((v) => `efficientnet_${v}` as const),
  'hrnet_w18',
  'hrnet_w32',
] as const;
export type ImportableArch = (typeof IMPORTABLE_ARCHS)[number];

export const BACKBONE_ARCHS = [...RESNET_ARCHS, ...IMPORTABLE_ARCHS.filter((a) => !isResNetArch(a))] as const;
export type BackboneArch = (typeof BACKBONE_ARCHS)[number];

export interface BackboneOptions {
  /** Seed of the random initialisation; null = zeros, for weights about to be imported or transferred. */
  seed?: number | null;
  /** Fixed square input size; ResNets accept any size when null/absent, EfficientNet/HRNet need one (default 224). */
  inputSize?: number | null;
  /** ResNets only: keep the ImageNet classifier (`fc`). */
  includeTop?: boolean;
}

export function isBackboneArch(arch: string): arch is BackboneArch {
  return (BACKBONE_ARCHS as readonly string[]).includes(arch);
}

export function isImportableArch(arch: string): arch is ImportableArch {
  return (IMPORTABLE_ARCHS as readonly string[]).includes(arch);
}

/** Which naming the safetensors file of an arch uses (for messages and the README). */
export function weightsSourceOf(arch: ImportableArch): 'torchvision' | 'timm' {
  return isResNetArch(arch) ? 'torchvision' : 'timm';
}

/**
 * A backbone [N,S,S,3] -> its last feature map; layer names follow the torchvision/timm parameter paths.
 * ResNets and EfficientNets take [0,1] input (ImageNet normalisation is their first layer); the HRNet
 * encoder (built by hrnet.ts) takes its input as given.
 */
export function buildBackbone(arch: string, opts: BackboneOptions = {}): tf.LayersModel {
  if (isResNetArch(arch)) return buildResNet(arch, opts);
  // EfficientNet/HRNet builders take a numeric seed only; their random init is what an import overwrites.
  const seed = opts.seed ?? 0;
  const size = opts.inputSize ?? 224;
  if (arch.startsWith('efficientnet_')) {
    const variant = arch.slice('efficientnet_'.length) as EfficientNetVariant;
    if ((EFFICIENTNET_VARIANTS as readonly string[]).includes(variant)) return buildEfficientNetBackbone(variant, { imageSize: size, seed });
  }
  if (arch === 'hrnet_w18') return buildHrnetEncoder(HRNET_W18, size, seed);
  if (arch === 'hrnet_w32') return buildHrnetEncoder(HRNET_W32, size, seed);
  throw new MadenetError('E_CONFIG', `Unknown backbone architecture: ${arch}; expected one of ${BACKBONE_ARCHS.join(', ')}.`);
}
