// HRNet(V2) encoder as tf.layers calls: stem to 1/4, a bottleneck stage, then stages of parallel branches with
// repeated multi-resolution fusion, ending in the concat of every branch at 1/4. No head, no loss, no data.
import * as tf from '@tensorflow/tfjs';
import { activation, add, batchNorm, concat, conv2d, type Sym, upsampleBilinear } from './conv.js';

/** One multi-branch stage (stage2, stage3, ...): `modules` HighResolutionModules of `blocks` BasicBlocks per branch. */
export interface HrnetStage {
  modules: number;
  blocks: number;
}

/**
 * Layer names follow the official HRNet code (`conv1`, `layer1.0.conv1`, `transition1.1.0.0`,
 * `stage2.0.branches.1.3.conv2`, `stage3.2.fuse_layers.2.0.1.0`), prefixed by the caller's prefix.
 */
export interface HrnetConfig {
  /** Channels of both stride-2 stem convs (64 in HRNet). */
  stemChannels: number;
  /** Bottleneck blocks in stage1 (4 in HRNet) and their inner width (64; output is 4x). */
  stage1Blocks: number;
  stage1Planes: number;
  /** Channels of the highest-resolution branch; branch b has width * 2^b (18 for W18, 32 for W32). */
  width: number;
  /** stage2, stage3, ...; stage k (k >= 2) has k branches. */
  stages: readonly HrnetStage[];
}

/** HRNetV2-W32 / W18 as published (stage1: 4 bottlenecks; modules 1/4/3, 4 blocks each). */
export const HRNET_W32: HrnetConfig = {
  stemChannels: 64,
  stage1Blocks: 4,
  stage1Planes: 64,
  width: 32,
  stages: [{ modules: 1, blocks: 4 }, { modules: 4, blocks: 4 }, { modules: 3, blocks: 4 }],
};
export const HRNET_W18: HrnetConfig = { ...HRNET_W32, width: 18 };

/** `count` stages of `modules` modules of `blocks` blocks each (the small presets: one module of one block). */
export function hrnetStages(count: number, modules = 1, blocks = 1): HrnetStage[] {
  return Array.from({ length: count }, () => ({ modules, blocks }));
}

/** Three branches of width 4 (4, 8, 16 channels), one module of one block per stage: SRAD's tiny preset, the tests. */
export const HRNET_TINY: HrnetConfig = { stemChannels: 8, stage1Blocks: 1, stage1Planes: 4, width: 4, stages: hrnetStages(2) };

/** Channels per branch after the last stage. */
export function hrnetBranchChannels(cfg: HrnetConfig): number[] {
  return Array.from({ length: cfg.stages.length + 1 }, (_, b) => cfg.width * 2 ** b);
}

/** Channels of the final concat (W32: 32+64+128+256 = 480). */
export function hrnetOutputChannels(cfg: HrnetConfig): number {
  return hrnetBranchChannels(cfg).reduce((a, b) => a + b, 0);
}

/** Input sides must be a multiple of this so that every branch halves exactly (4 * 2^(branches-1)). */
export function hrnetInputDivisor(cfg: HrnetConfig): number {
  return 4 * 2 ** cfg.stages.length;
}

/** [N,H,W,C] -> [N,H/4,W/4,hrnetOutputChannels] (all branches bilinearly upsampled to 1/4 and concatenated). */
export function hrnetEncoder(x: Sym, cfg: HrnetConfig, prefix: string, seed: number): Sym {
  const n = (s: string) => `${prefix}${s}`;
  let y = stemConv(x, n('conv1'), n('bn1'), n('relu1'), cfg.stemChannels, seed);
  y = stemConv(y, n('conv2'), n('bn2'), n('relu2'), cfg.stemChannels, seed);

  const stage1Out = cfg.stage1Planes * 4;
  for (let i = 0; i < cfg.stage1Blocks; i++) {
    y = bottleneck(y, n(`layer1.${i}`), cfg.stage1Planes, stage1Out, seed);
  }

  let branches: Sym[] = [y];
  cfg.stages.forEach((stage, s) => {
    const channels = Array.from({ length: s + 2 }, (_, b) => cfg.width * 2 ** b);
    branches = transition(branches, channels, n(`transition${s + 1}`), seed);
    for (let m = 0; m < stage.modules; m++) {
      branches = highResolutionModule(branches, channels, stage.blocks, n(`stage${s + 2}.${m}`), seed);
    }
  });

  const ups = branches.map((b, i) => (i === 0 ? b : upsampleBilinear(b, 2 ** i, n(`final.up${i}`))));
  return ups.length === 1 ? (ups[0] as Sym) : concat(ups, n('final.concat'));
}

function stemConv(x: Sym, conv: string, bn: string, act: string, filters: number, seed: number): Sym {
  return activation(batchNorm(conv2d(x, { name: conv, filters, kernel: 3, stride: 2, seed }), bn), 'relu', act);
}

function relu(x: Sym, name: string): Sym {
  return activation(x, 'relu', name);
}

/** HRNet BasicBlock: 3x3 -> BN -> ReLU -> 3x3 -> BN, + identity, ReLU (channels unchanged). */
export function hrnetBasicBlock(x: Sym, p: string, seed: number): Sym {
  const ch = lastDim(x);
  let y = relu(batchNorm(conv2d(x, { name: `${p}.conv1`, filters: ch, kernel: 3, seed }), `${p}.bn1`), `${p}.relu1`);
  y = batchNorm(conv2d(y, { name: `${p}.conv2`, filters: ch, kernel: 3, seed }), `${p}.bn2`);
  return relu(add([y, x], `${p}.add`), `${p}.relu`);
}

/** HRNet Bottleneck: 1x1 -> 3x3 -> 1x1 (out), + shortcut (1x1 conv + BN when channels change), ReLU. */
function bottleneck(x: Sym, p: string, planes: number, out: number, seed: number): Sym {
  let y = relu(batchNorm(conv2d(x, { name: `${p}.conv1`, filters: planes, kernel: 1, seed }), `${p}.bn1`), `${p}.relu1`);
  y = relu(batchNorm(conv2d(y, { name: `${p}.conv2`, filters: planes, kernel: 3, seed }), `${p}.bn2`), `${p}.relu2`);
  y = batchNorm(conv2d(y, { name: `${p}.conv3`, filters: out, kernel: 1, seed }), `${p}.bn3`);
  const short =
    lastDim(x) === out
      ? x
      : batchNorm(conv2d(x, { name: `${p}.downsample.0`, filters: out, kernel: 1, seed }), `${p}.downsample.1`);
  return relu(add([y, short], `${p}.add`), `${p}.relu`);
}

/**
 * Existing branches keep their tensor (3x3 conv + BN + ReLU only when channels differ); each new branch is
 * made from the last existing one by a chain of stride-2 3x3 convs, as in `_make_transition_layer`.
 */
function transition(prev: Sym[], channels: number[], p: string, seed: number): Sym[] {
  return channels.map((ch, i) => {
    if (i < prev.length) {
      const x = prev[i] as Sym;
      if (lastDim(x) === ch) return x;
      const y = batchNorm(conv2d(x, { name: `${p}.${i}.0`, filters: ch, kernel: 3, seed }), `${p}.${i}.1`);
      return relu(y, `${p}.${i}.2`);
    }
    let y = prev[prev.length - 1] as Sym;
    const steps = i + 1 - prev.length;
    for (let k = 0; k < steps; k++) {
      const out = k === steps - 1 ? ch : lastDim(y);
      y = batchNorm(conv2d(y, { name: `${p}.${i}.${k}.0`, filters: out, kernel: 3, stride: 2, seed }), `${p}.${i}.${k}.1`);
      y = relu(y, `${p}.${i}.${k}.2`);
    }
    return y;
  });
}

/** Blocks on each branch, then fusion: output i = ReLU(sum_j f_ij(x_j)). */
function highResolutionModule(xs: Sym[], channels: number[], blocks: number, p: string, seed: number): Sym[] {
  const branches = xs.map((x, b) => {
    let y = x;
    for (let k = 0; k < blocks; k++) y = hrnetBasicBlock(y, `${p}.branches.${b}.${k}`, seed);
    return y;
  });
  if (branches.length === 1) return branches;
  return channels.map((_, i) => {
    const terms = branches.map((x, j) => fuseTerm(x, i, j, channels, `${p}.fuse_layers.${i}.${j}`, seed));
    return relu(add(terms, `${p}.fuse.${i}.add`), `${p}.fuse.${i}.relu`);
  });
}

/**
 * j == i: identity. j > i (lower resolution): 1x1 conv + BN, then bilinear upsampling by 2^(j-i).
 * j < i: (i-j) stride-2 3x3 convs + BN; ReLU between them, the last one changes channels to branch i's.
 */
function fuseTerm(x: Sym, i: number, j: number, channels: number[], p: string, seed: number): Sym {
  if (j === i) return x;
  if (j > i) {
    const y = batchNorm(conv2d(x, { name: `${p}.0`, filters: channels[i] as number, kernel: 1, seed }), `${p}.1`);
    return upsampleBilinear(y, 2 ** (j - i), `${p}.up`);
  }
  let y = x;
  for (let k = 0; k < i - j; k++) {
    const last = k === i - j - 1;
    const out = last ? (channels[i] as number) : (channels[j] as number);
    y = batchNorm(conv2d(y, { name: `${p}.${k}.0`, filters: out, kernel: 3, stride: 2, seed }), `${p}.${k}.1`);
    if (!last) y = relu(y, `${p}.${k}.2`);
  }
  return y;
}

function lastDim(x: Sym): number {
  const c = x.shape[x.shape.length - 1];
  if (c === null || c === undefined) throw new Error(`hrnet: unknown channel count in ${x.name}`);
  return c;
}

/** Convenience: the encoder alone as a model [N,H,W,3] -> [N,H/4,W/4,C] (for tests and feature extraction). */
export function buildHrnetEncoder(cfg: HrnetConfig, imageSize: number, seed = 0, prefix = ''): tf.LayersModel {
  const x = tf.input({ shape: [imageSize, imageSize, 3], name: `${prefix}input` });
  return tf.model({ inputs: x, outputs: hrnetEncoder(x, cfg, prefix, seed), name: `${prefix}hrnet` });
}
