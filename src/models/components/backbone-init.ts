// Seeded weight initialisers for backbone layers, following torchvision's choices (Kaiming-normal fan-out
// for convs, PyTorch's default uniform for linear layers). Does not build layers; it only hands out initialisers.
import * as tf from '@tensorflow/tfjs';
import { hashSeed } from '../../pipeline/core/random.js';

/**
 * A seed safe to hand to tfjs random ops: tfjs's normal and truncated-normal generators treat seed 0 as "no
 * seed" and fall back to Math.random, so 0 is mapped to 1.
 */
export function tfSeed(seed: number): number {
  const s = seed >>> 0;
  return s === 0 ? 1 : s;
}

/** A per-layer seed derived from the model seed and the layer name, so that it does not depend on build order. */
export function layerSeed(seed: number, layerName: string): number {
  return tfSeed(hashSeed(layerName, seed));
}

type Initializer = ReturnType<typeof tf.initializers.glorotNormal>;

/**
 * seed null = placeholder zeros, for models whose weights are about to be overwritten (import, transfer,
 * shape checks): drawing 69M truncated normals costs seconds, zeros cost nothing.
 */
export type InitSeed = number | null;

/** torchvision ResNet: kaiming_normal_(mode='fan_out', nonlinearity='relu'), i.e. std = sqrt(2 / fan_out). */
export function convInit(seed: InitSeed, layerName: string): Initializer {
  if (seed === null) return tf.initializers.zeros();
  return tf.initializers.varianceScaling({ scale: 2, mode: 'fanOut', distribution: 'normal', seed: layerSeed(seed, layerName) });
}

/** PyTorch nn.Linear default: U(-1/sqrt(fan_in), 1/sqrt(fan_in)) for the weight. */
export function linearInit(seed: InitSeed, layerName: string): Initializer {
  if (seed === null) return tf.initializers.zeros();
  return tf.initializers.varianceScaling({ scale: 1 / 3, mode: 'fanIn', distribution: 'uniform', seed: layerSeed(seed, layerName) });
}

/** Xavier-normal, as SimpleNet initialises its adaptor and discriminator. */
export function xavierInit(seed: InitSeed, layerName: string): Initializer {
  if (seed === null) return tf.initializers.zeros();
  return tf.initializers.glorotNormal({ seed: layerSeed(seed, layerName) });
}
