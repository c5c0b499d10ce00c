// ResNet-18/50, Wide-ResNet-50-2 and a tiny test variant with torchvision's layer structure and parameter
// names, as one flat tf.LayersModel: [N,H,W,3] in [0,1] -> layer4 map (or 1000 logits with includeTop).
import * as tf from '@tensorflow/tfjs';
import { MadenetError } from '../../pipeline/core/errors.js';
import { linearInit } from './backbone-init.js';
import { ImagenetNormalization } from './backbone-normalize.js';
import { basicBlock, bottleneck, stem } from './resnet-blocks.js';

export const RESNET_ARCHS = ['resnet18', 'resnet50', 'wide_resnet50_2', 'resnet_tiny'] as const;
export type ResNetArch = (typeof RESNET_ARCHS)[number];

export interface ResNetSpec {
  block: 'basic' | 'bottleneck';
  /** Blocks per stage (layer1..layer4). */
  blocks: readonly [number, number, number, number];
  /** torchvision `planes` per stage. */
  planes: readonly [number, number, number, number];
  stemChannels: number;
  /** Bottleneck inner width = planes * widthPerGroup / 64 (128 for Wide-ResNet-50-2). */
  widthPerGroup: number;
}

export const RESNET_SPECS: Record<ResNetArch, ResNetSpec> = {
  resnet18: { block: 'basic', blocks: [2, 2, 2, 2], planes: [64, 128, 256, 512], stemChannels: 64, widthPerGroup: 64 },
  resnet50: { block: 'bottleneck', blocks: [3, 4, 6, 3], planes: [64, 128, 256, 512], stemChannels: 64, widthPerGroup: 64 },
  wide_resnet50_2: { block: 'bottleneck', blocks: [3, 4, 6, 3], planes: [64, 128, 256, 512], stemChannels: 64, widthPerGroup: 128 },
  // Not a torchvision model: the same structure at 1/4 width and one block per stage, for tests and tiny presets.
  resnet_tiny: { block: 'basic', blocks: [1, 1, 1, 1], planes: [16, 32, 64, 128], stemChannels: 16, widthPerGroup: 64 },
};

export const RESNET_STAGES = ['layer1', 'layer2', 'layer3', 'layer4'] as const;
export type ResNetStage = (typeof RESNET_STAGES)[number];

export interface ResNetOptions {
  /** Seed of the random initialisation; null = zeros, for weights about to be imported. Default 0. */
  seed?: number | null;
  /** Append global average pooling + `fc` (torchvision's classifier). Default false. */
  includeTop?: boolean;
  numClasses?: number;
  /** Fixed input height/width; null (default) accepts any size. */
  inputSize?: number | null;
  /** Model name; default the arch. */
  name?: string;
}

export function isResNetArch(arch: string): arch is ResNetArch {
  return (RESNET_ARCHS as readonly string[]).includes(arch);
}

export function resnetSpec(arch: string): ResNetSpec {
  if (!isResNetArch(arch)) {
    throw new MadenetError('E_CONFIG', `Unknown ResNet architecture: ${arch}; expected one of ${RESNET_ARCHS.join(', ')}.`);
  }
  return RESNET_SPECS[arch];
}

/** Output channels of each stage, e.g. resnet18 -> {layer1: 64, layer2: 128, layer3: 256, layer4: 512}. */
export function resnetStageChannels(arch: ResNetArch): Record<ResNetStage, number> {
  const spec = resnetSpec(arch);
  const expansion = spec.block === 'basic' ? 1 : 4;
  const out = {} as Record<ResNetStage, number>;
  RESNET_STAGES.forEach((stage, i) => (out[stage] = (spec.planes[i] as number) * expansion));
  return out;
}

/** Spatial stride of each stage relative to the input (4, 8, 16, 32). */
export const RESNET_STAGE_STRIDES: Record<ResNetStage, number> = { layer1: 4, layer2: 8, layer3: 16, layer4: 32 };

/** The layer whose output is the stage's output (the final ReLU of its last block), e.g. `layer2.1.relu`. */
export function resnetStageLayer(arch: ResNetArch, stage: ResNetStage): string {
  const spec = resnetSpec(arch);
  const i = RESNET_STAGES.indexOf(stage);
  return `${stage}.${(spec.blocks[i] as number) - 1}.relu`;
}

/** Builds a named architecture, or any ResNetSpec (tests use small bottleneck specs). */
export function buildResNet(arch: ResNetArch | ResNetSpec, opts: ResNetOptions = {}): tf.LayersModel {
  const spec = typeof arch === 'string' ? resnetSpec(arch) : arch;
  const seed = opts.seed === undefined ? 0 : opts.seed;
  const size = opts.inputSize ?? null;
  const input = tf.input({ shape: [size, size, 3], name: 'input' });
  let x = new ImagenetNormalization({ name: 'normalize' }).apply(input) as tf.SymbolicTensor;
  x = stem(x, spec.stemChannels, seed);
  const expansion = spec.block === 'basic' ? 1 : 4;
  RESNET_STAGES.forEach((stage, s) => {
    const planes = spec.planes[s] as number;
    for (let b = 0; b < (spec.blocks[s] as number); b++) {
      const stride = s > 0 && b === 0 ? 2 : 1;
      const prefix = `${stage}.${b}`;
      x = spec.block === 'basic'
        ? basicBlock(x, prefix, planes, stride, seed)
        : bottleneck(x, prefix, Math.floor((planes * spec.widthPerGroup) / 64), planes * expansion, stride, seed);
    }
  });
  if (opts.includeTop) {
    x = tf.layers.globalAveragePooling2d({ name: 'avgpool' }).apply(x) as tf.SymbolicTensor;
    x = tf.layers
      .dense({ units: opts.numClasses ?? 1000, name: 'fc', kernelInitializer: linearInit(seed, 'fc') })
      .apply(x) as tf.SymbolicTensor;
  }
  return tf.model({ inputs: input, outputs: x, name: opts.name ?? (typeof arch === 'string' ? arch : 'resnet') });
}
