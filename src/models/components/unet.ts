// A plain U-Net body as tf.layers calls: double-conv levels with 2x2 max-pooling down, bilinear upsampling +
// 3x3 conv up (DRAEM's discriminative layout), skip concatenation. Returns features; the caller adds the head.
import { activation, batchNorm, concat, conv2d, type Sym, upsampleBilinear } from './conv.js';
import * as tf from '@tensorflow/tfjs';

export interface UnetConfig {
  /** Channels at full resolution; level l has baseChannels * 2^l. */
  baseChannels: number;
  /** Number of 2x2 poolings (the input side must be a multiple of 2^depth). */
  depth: number;
}

export function unetInputDivisor(cfg: UnetConfig): number {
  return 2 ** cfg.depth;
}

/**
 * [N,H,W,C] -> [N,H,W,baseChannels]. Names: `<p>down.<l>.conv1|bn1|conv2|bn2`, `<p>down.<l>.pool`,
 * `<p>up.<l>.upsample|conv0|bn0`, `<p>up.<l>.concat` ([skip, up]), `<p>up.<l>.conv1|bn1|conv2|bn2`.
 */
export function unetBody(x: Sym, cfg: UnetConfig, prefix: string, seed: number): Sym {
  const ch = (l: number) => cfg.baseChannels * 2 ** l;
  const skips: Sym[] = [];
  let y = x;
  for (let l = 0; l <= cfg.depth; l++) {
    if (l > 0) {
      y = tf.layers.maxPooling2d({ poolSize: 2, strides: 2, padding: 'valid', name: `${prefix}down.${l}.pool` }).apply(y) as Sym;
    }
    y = doubleConv(y, ch(l), `${prefix}down.${l}`, seed);
    skips.push(y);
  }
  for (let l = cfg.depth - 1; l >= 0; l--) {
    const p = `${prefix}up.${l}`;
    let u = upsampleBilinear(y, 2, `${p}.upsample`);
    u = activation(batchNorm(conv2d(u, { name: `${p}.conv0`, filters: ch(l), kernel: 3, seed }), `${p}.bn0`), 'relu', `${p}.relu0`);
    y = doubleConv(concat([skips[l] as Sym, u], `${p}.concat`), ch(l), p, seed);
  }
  return y;
}

/** (3x3 conv, BN, ReLU) x 2. */
function doubleConv(x: Sym, filters: number, p: string, seed: number): Sym {
  let y = activation(batchNorm(conv2d(x, { name: `${p}.conv1`, filters, kernel: 3, seed }), `${p}.bn1`), 'relu', `${p}.relu1`);
  y = activation(batchNorm(conv2d(y, { name: `${p}.conv2`, filters, kernel: 3, seed }), `${p}.bn2`), 'relu', `${p}.relu2`);
  return y;
}
