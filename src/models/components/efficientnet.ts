// EfficientNet B0-B4 (compound scaling, MBConv with squeeze-excitation and depthwise convs) as tf.layers calls
// with timm's parameter paths (`conv_stem`, `blocks.3.1.conv_dw`, `blocks.3.1.se.conv_reduce`, `conv_head`). No head.
import * as tf from '@tensorflow/tfjs';
import { ImagenetNormalization } from './backbone-normalize.js';
import { layerSeed } from './backbone-init.js';
import { activation, add, batchNorm, conv2d, depthwiseConv2d, type Sym } from './conv.js';
import { seededDrop } from './layers-dropout.js';

export const EFFICIENTNET_VARIANTS = ['b0', 'b1', 'b2', 'b3', 'b4'] as const;
export type EfficientNetVariant = (typeof EFFICIENTNET_VARIANTS)[number];

export interface EfficientNetScaling {
  widthMult: number;
  depthMult: number;
  /** The paper's input resolution. */
  resolution: number;
  /** Dropout before the classifier. */
  dropRate: number;
}

/** Tan & Le 2019, Table/Sec. 3.3 (as in timm and torchvision). */
export const EFFICIENTNET_SCALING: Record<EfficientNetVariant, EfficientNetScaling> = {
  b0: { widthMult: 1.0, depthMult: 1.0, resolution: 224, dropRate: 0.2 },
  b1: { widthMult: 1.0, depthMult: 1.1, resolution: 240, dropRate: 0.2 },
  b2: { widthMult: 1.1, depthMult: 1.2, resolution: 260, dropRate: 0.3 },
  b3: { widthMult: 1.2, depthMult: 1.4, resolution: 300, dropRate: 0.3 },
  b4: { widthMult: 1.4, depthMult: 1.8, resolution: 380, dropRate: 0.4 },
};

interface StageArgs {
  /** 'ds': depthwise-separable (no expansion conv); 'ir': inverted residual (MBConv). */
  type: 'ds' | 'ir';
  repeats: number;
  kernel: number;
  stride: number;
  expand: number;
  channels: number;
}

/** The B0 stages (timm's `ds_r1_k3_s1_e1_c16_se0.25`, `ir_r2_k3_s2_e6_c24_se0.25`, ...); SE ratio 0.25 of the block input. */
export const EFFICIENTNET_B0_STAGES: readonly StageArgs[] = [
  { type: 'ds', repeats: 1, kernel: 3, stride: 1, expand: 1, channels: 16 },
  { type: 'ir', repeats: 2, kernel: 3, stride: 2, expand: 6, channels: 24 },
  { type: 'ir', repeats: 2, kernel: 5, stride: 2, expand: 6, channels: 40 },
  { type: 'ir', repeats: 3, kernel: 3, stride: 2, expand: 6, channels: 80 },
  { type: 'ir', repeats: 3, kernel: 5, stride: 1, expand: 6, channels: 112 },
  { type: 'ir', repeats: 4, kernel: 5, stride: 2, expand: 6, channels: 192 },
  { type: 'ir', repeats: 1, kernel: 3, stride: 1, expand: 6, channels: 320 },
];
const SE_RATIO = 0.25;
const STEM_CHANNELS = 32;
const HEAD_CHANNELS = 1280;

export interface EfficientNetSpec {
  widthMult: number;
  depthMult: number;
  /** Stochastic-depth rate of the last block (linear in the block index, as in timm). */
  dropPathRate: number;
}

/** timm / torchvision `make_divisible`: round to a multiple of 8, never more than 10% down. */
export function makeDivisible(v: number, divisor = 8): number {
  let out = Math.max(divisor, Math.floor((v + divisor / 2) / divisor) * divisor);
  if (out < 0.9 * v) out += divisor;
  return out;
}

export interface ResolvedBlock {
  name: string;
  type: 'ds' | 'ir';
  inChannels: number;
  midChannels: number;
  outChannels: number;
  seChannels: number;
  kernel: number;
  stride: number;
  residual: boolean;
  dropPath: number;
}

/** Every block after width/depth scaling (depth: ceil(repeats * depthMult) per stage). */
export function efficientNetBlocks(spec: EfficientNetSpec): ResolvedBlock[] {
  const blocks: ResolvedBlock[] = [];
  let inCh = makeDivisible(STEM_CHANNELS * spec.widthMult);
  EFFICIENTNET_B0_STAGES.forEach((st, s) => {
    const repeats = Math.ceil(st.repeats * spec.depthMult);
    const outCh = makeDivisible(st.channels * spec.widthMult);
    for (let i = 0; i < repeats; i++) {
      const stride = i === 0 ? st.stride : 1;
      const mid = st.type === 'ds' ? inCh : inCh * st.expand;
      blocks.push({
        name: `blocks.${s}.${i}`,
        type: st.type,
        inChannels: inCh,
        midChannels: mid,
        outChannels: outCh,
        seChannels: Math.max(1, Math.round(inCh * SE_RATIO)),
        kernel: st.kernel,
        stride,
        residual: stride === 1 && inCh === outCh,
        dropPath: 0,
      });
      inCh = outCh;
    }
  });
  blocks.forEach((b, idx) => {
    b.dropPath = (spec.dropPathRate * idx) / blocks.length;
  });
  return blocks;
}

export function efficientNetHeadChannels(spec: EfficientNetSpec): number {
  return makeDivisible(HEAD_CHANNELS * spec.widthMult);
}

/** [N,H,W,3] (already normalised) -> [N,H/32,W/32,headChannels] after conv_head, bn2, SiLU. */
export function efficientNetFeatures(x: Sym, spec: EfficientNetSpec, seed: number): Sym {
  let y = conv2d(x, { name: 'conv_stem', filters: makeDivisible(STEM_CHANNELS * spec.widthMult), kernel: 3, stride: 2, seed });
  y = activation(batchNorm(y, 'bn1'), 'swish', 'act1');
  for (const b of efficientNetBlocks(spec)) y = mbBlock(y, b, seed);
  y = conv2d(y, { name: 'conv_head', filters: efficientNetHeadChannels(spec), kernel: 1, seed });
  return activation(batchNorm(y, 'bn2'), 'swish', 'act2');
}

/**
 * ds: conv_dw, bn1, SiLU, se, conv_pw, bn2.  ir: conv_pw, bn1, SiLU, conv_dw, bn2, SiLU, se, conv_pwl, bn3.
 * Residual blocks add the input back after drop-path.
 */
function mbBlock(x: Sym, b: ResolvedBlock, seed: number): Sym {
  const p = b.name;
  let y = x;
  let bn = 1;
  if (b.type === 'ir') {
    y = conv2d(y, { name: `${p}.conv_pw`, filters: b.midChannels, kernel: 1, seed });
    y = activation(batchNorm(y, `${p}.bn${bn}`), 'swish', `${p}.act${bn}`);
    bn++;
  }
  y = depthwiseConv2d(y, { name: `${p}.conv_dw`, kernel: b.kernel, stride: b.stride, seed });
  y = activation(batchNorm(y, `${p}.bn${bn}`), 'swish', `${p}.act${bn}`);
  bn++;
  y = squeezeExcite(y, b.midChannels, b.seChannels, `${p}.se`, seed);
  y = conv2d(y, { name: b.type === 'ir' ? `${p}.conv_pwl` : `${p}.conv_pw`, filters: b.outChannels, kernel: 1, seed });
  y = batchNorm(y, `${p}.bn${bn}`);
  if (!b.residual) return y;
  if (b.dropPath > 0) {
    y = seededDrop(y, { name: `${p}.drop_path`, rate: b.dropPath, perSample: true, seed: layerSeed(seed, `${p}.drop_path`) });
  }
  return add([y, x], `${p}.add`);
}

/** x * sigmoid(conv_expand(SiLU(conv_reduce(mean_hw(x))))), 1x1 convs with bias as in timm. */
function squeezeExcite(x: Sym, channels: number, reduced: number, p: string, seed: number): Sym {
  let s = tf.layers.globalAveragePooling2d({ name: `${p}.pool` }).apply(x) as Sym;
  s = tf.layers.reshape({ targetShape: [1, 1, channels], name: `${p}.reshape` }).apply(s) as Sym;
  s = activation(conv2d(s, { name: `${p}.conv_reduce`, filters: reduced, kernel: 1, useBias: true, seed }), 'swish', `${p}.act`);
  s = activation(conv2d(s, { name: `${p}.conv_expand`, filters: channels, kernel: 1, useBias: true, seed }), 'sigmoid', `${p}.gate`);
  return tf.layers.multiply({ name: `${p}.mul` }).apply([x, s]) as Sym;
}

export function efficientNetSpec(variant: EfficientNetVariant, dropPathRate = 0.2): EfficientNetSpec {
  const s = EFFICIENTNET_SCALING[variant];
  return { widthMult: s.widthMult, depthMult: s.depthMult, dropPathRate };
}

export interface BackboneOptions {
  imageSize?: number;
  seed?: number;
  /** Put ImageNet normalisation (`normalize` layer) inside the model so inputs are [0,1]. Default true. */
  normalize?: boolean;
}

/**
 * The feature extractor alone: [N,S,S,3] in [0,1] -> [N,ceil(S/32),ceil(S/32),headChannels]. Layer names equal
 * those of buildClassifier, so imported backbone weights copy over by name.
 */
export function buildEfficientNetBackbone(variant: EfficientNetVariant | EfficientNetSpec, opts: BackboneOptions = {}): tf.LayersModel {
  const spec = typeof variant === 'string' ? efficientNetSpec(variant) : variant;
  const size = opts.imageSize ?? (typeof variant === 'string' ? EFFICIENTNET_SCALING[variant].resolution : 224);
  const x = tf.input({ shape: [size, size, 3], name: 'image' });
  const y = opts.normalize === false ? x : (new ImagenetNormalization({ name: 'normalize' }).apply(x) as Sym);
  const name = typeof variant === 'string' ? `efficientnet_${variant}` : 'efficientnet';
  return tf.model({ inputs: x, outputs: efficientNetFeatures(y, spec, opts.seed ?? 0), name });
}
