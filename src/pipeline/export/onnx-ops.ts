// Small ONNX idioms shared by the layer handlers and the score/map graphs: activations as tfjs computes
// them, axis mapping from tfjs (channels-last) to graph values, and reading a layer's weights.
import type * as tf from '@tensorflow/tfjs';
import { MadenetError } from '../core/errors.js';
import type { Val } from './layer-call.js';
import { attr, type OnnxGraph } from './onnx-graph.js';

export const NHWC_TO_NCHW = [0, 3, 1, 2];
export const NCHW_TO_NHWC = [0, 2, 3, 1];

export function val(name: string, rank: number, channelsFirst: boolean): Val {
  return { name, rank, channelsFirst };
}

/** Same kind of value under a new name (elementwise results). */
export function like(v: Val, name: string): Val {
  return { name, rank: v.rank, channelsFirst: v.channelsFirst };
}

/** The graph axis of tfjs axis `axis` of a rank-`kerasRank` tensor held as `v`. */
export function graphAxis(v: Val, axis: number, kerasRank: number, what: string): number {
  const a = axis < 0 ? axis + kerasRank : axis;
  if (a === kerasRank - 1) return v.channelsFirst ? 1 : v.rank - 1;
  if (!v.channelsFirst && v.rank === kerasRank) return a;
  if (v.channelsFirst && v.rank === 4 && kerasRank === 4) return a === 0 ? 0 : a + 1;
  throw new MadenetError('E_EXPORT', `Cannot export ${what}: axis ${axis} of a rank-${kerasRank} tensor has no place in its rank-${v.rank} ONNX value.`);
}

/** tfjs activations that are one ONNX operator of the same definition, without attributes. */
const UNARY_ACTIVATIONS: Readonly<Record<string, string>> = {
  relu: 'Relu',
  sigmoid: 'Sigmoid',
  tanh: 'Tanh',
  selu: 'Selu',
  softplus: 'Softplus',
  softsign: 'Softsign',
};

/** Applies a tfjs activation by name (as serialised in layer configs) the way tfjs computes it. */
export function activate(g: OnnxGraph, x: Val, name: string, hint: string): Val {
  const unary = (op: string, attrs = {}): Val => like(x, g.node(op, [x.name], attrs, hint));
  if (Object.hasOwn(UNARY_ACTIVATIONS, name)) return unary(UNARY_ACTIVATIONS[name] as string);
  switch (name) {
    case 'linear':
      return x;
    case 'elu':
      return unary('Elu', { alpha: attr.f(1) });
    case 'relu6':
      return like(x, g.node('Clip', [x.name, g.constFloat(`${hint}/min`, [0], []), g.constFloat(`${hint}/max`, [6], [])], {}, hint));
    case 'softmax':
      // tfjs: softmax over the last (channel) axis.
      return unary('Softmax', { axis: attr.i(x.channelsFirst ? 1 : x.rank - 1) });
    case 'swish': {
      // tfjs swish(x) = x * sigmoid(x) (beta 1): SiLU.
      const s = g.node('Sigmoid', [x.name], {}, `${hint}/sigmoid`);
      return like(x, g.node('Mul', [x.name, s], {}, hint));
    }
    default:
      throw new MadenetError('E_EXPORT', `Cannot export activation '${name}' (at ${hint}); expected linear, relu, sigmoid, tanh, elu, selu, softplus, softsign, relu6, softmax or swish.`);
  }
}

/** A layer's weight values (copied out synchronously: under webgpu artifact-graph.ts converts on the cpu backend) with their tfjs shapes, in getWeights() order. */
export function layerWeights(layer: tf.layers.Layer): { data: Float32Array; shape: number[] }[] {
  return layer.getWeights().map((w) => ({ data: Float32Array.from(w.dataSync() as Float32Array), shape: [...w.shape] }));
}

/** The activation name a layer config carries (`activation: 'relu'`), 'linear' when absent. */
export function configActivation(config: Record<string, unknown>): string {
  const a = config.activation;
  if (a === undefined || a === null) return 'linear';
  if (typeof a === 'string') return a;
  throw new MadenetError('E_EXPORT', `Cannot export a layer whose activation is ${JSON.stringify(a)}; expected a tfjs activation name.`);
}

export function pairOf(v: unknown, what: string): [number, number] {
  if (typeof v === 'number') return [v, v];
  if (Array.isArray(v) && v.length === 2 && v.every((x) => typeof x === 'number')) return [v[0] as number, v[1] as number];
  throw new MadenetError('E_EXPORT', `Cannot export ${what} = ${JSON.stringify(v)}; expected a number or a pair.`);
}
