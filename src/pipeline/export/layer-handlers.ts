// The table of tfjs layer class -> ONNX conversion, with the parameter-free layers defined here (activations,
// merges, reshapes, inference-time identities and madenet's own normalisation layer). Weighted ones: conv-handlers.ts.
import { MadenetError } from '../core/errors.js';
import { IMAGENET_MEAN, IMAGENET_STD } from '../../models/components/backbone-normalize.js';
import { CONV_HANDLERS } from './conv-handlers.js';
import type { LayerCall, LayerHandler, Val } from './layer-call.js';
import { attr } from './onnx-graph.js';
import { activate, graphAxis, like, NCHW_TO_NHWC, NHWC_TO_NCHW, val } from './onnx-ops.js';

function one(c: LayerCall): Val {
  const x = c.inputs[0];
  if (c.inputs.length !== 1 || x === undefined) throw new MadenetError('E_EXPORT', `Cannot export ${c.layer.name}: expected one input, got ${c.inputs.length}.`);
  return x;
}

/** Layers that are the identity at inference (dropouts, noise, madenet's seeded drops). */
const identity: LayerHandler = (c) => one(c);

function activation(c: LayerCall): Val {
  return activate(c.graph, one(c), String(c.config.activation ?? 'linear'), c.hint);
}

function leakyRelu(c: LayerCall): Val {
  const x = one(c);
  const alpha = typeof c.config.alpha === 'number' ? c.config.alpha : 0.3;
  return like(x, c.graph.node('LeakyRelu', [x.name], { alpha: attr.f(alpha) }, c.hint));
}

function relu(c: LayerCall): Val {
  const x = one(c);
  const max = c.config.maxValue;
  if (max === undefined || max === null) return like(x, c.graph.node('Relu', [x.name], {}, c.hint));
  const lo = c.graph.constFloat(`${c.hint}/min`, [0], []);
  const hi = c.graph.constFloat(`${c.hint}/max`, [Number(max)], []);
  return like(x, c.graph.node('Clip', [x.name, lo, hi], {}, c.hint));
}

function softmax(c: LayerCall): Val {
  const x = one(c);
  const axis = graphAxis(x, Number(c.config.axis ?? -1), (c.inputShapes[0] ?? []).length, `Softmax ${c.layer.name}`);
  return like(x, c.graph.node('Softmax', [x.name], { axis: attr.i(axis) }, c.hint));
}

/** Elementwise merges with numpy broadcasting, chained left to right as tfjs does. */
function merge(op: 'Add' | 'Mul' | 'Sub' | 'Max' | 'Min'): LayerHandler {
  return (c) => {
    const [first, ...rest] = c.inputs;
    if (!first || rest.length === 0) throw new MadenetError('E_EXPORT', `Cannot export ${c.layer.name}: a merge needs two or more inputs.`);
    if (rest.some((r) => r.rank !== first.rank || r.channelsFirst !== first.channelsFirst)) {
      throw new MadenetError('E_EXPORT', `Cannot export ${c.layer.name}: its inputs have different layouts.`);
    }
    if (op === 'Sub' && rest.length !== 1) throw new MadenetError('E_EXPORT', `Cannot export Subtract ${c.layer.name}: expected two inputs.`);
    let acc = first.name;
    rest.forEach((r, i) => {
      acc = c.graph.node(op, [acc, r.name], {}, i === rest.length - 1 ? c.hint : `${c.hint}/${i}`);
    });
    return like(first, acc);
  };
}

function concatenate(c: LayerCall): Val {
  const first = c.inputs[0];
  if (!first) throw new MadenetError('E_EXPORT', `Cannot export ${c.layer.name}: no inputs.`);
  const axis = graphAxis(first, Number(c.config.axis ?? -1), (c.inputShapes[0] ?? []).length, `Concatenate ${c.layer.name}`);
  return like(first, c.graph.node('Concat', c.inputs.map((i) => i.name), { axis: attr.i(axis) }, c.hint));
}

/** tfjs (channels-last) element order: NCHW values are transposed back before a reshape or flatten. */
function channelsLast(c: LayerCall, x: Val): string {
  if (!x.channelsFirst) return x.name;
  if (x.rank !== 4) throw new MadenetError('E_EXPORT', `Cannot export ${c.layer.name} on a rank-${x.rank} channels-first value.`);
  return c.graph.node('Transpose', [x.name], { perm: attr.ints(NCHW_TO_NHWC) }, `${c.hint}/nhwc`);
}

function reshape(c: LayerCall): Val {
  const x = one(c);
  const target = c.config.targetShape;
  if (!Array.isArray(target) || !target.every((d) => typeof d === 'number')) {
    throw new MadenetError('E_EXPORT', `Cannot export Reshape ${c.layer.name}: targetShape ${JSON.stringify(target)}; expected numbers.`);
  }
  const shape = c.graph.constInt64([0, ...(target as number[])]);
  const y = c.graph.node('Reshape', [channelsLast(c, x), shape], {}, target.length === 3 ? `${c.hint}/nhwc` : c.hint);
  if (target.length !== 3) return val(y, target.length + 1, false);
  return val(c.graph.node('Transpose', [y], { perm: attr.ints(NHWC_TO_NCHW) }, c.hint), 4, true);
}

function flatten(c: LayerCall): Val {
  const x = one(c);
  return val(c.graph.node('Flatten', [channelsLast(c, x)], { axis: attr.i(1) }, c.hint), 2, false);
}

/** madenet's ImageNet normalisation layer: (x - mean) / std per RGB channel, as backbone-normalize.ts computes it. */
function imagenetNormalization(c: LayerCall): Val {
  const x = one(c);
  if (!x.channelsFirst || x.rank !== 4) throw new MadenetError('E_EXPORT', `Cannot export ${c.layer.name}: expected an image [N,H,W,3].`);
  const mean = c.graph.constFloat(`${c.hint}/mean`, [...IMAGENET_MEAN], [1, 3, 1, 1]);
  const std = c.graph.constFloat(`${c.hint}/std`, [...IMAGENET_STD], [1, 3, 1, 1]);
  const centred = c.graph.node('Sub', [x.name, mean], {}, `${c.hint}/sub`);
  return like(x, c.graph.node('Div', [centred, std], {}, c.hint));
}

export const LAYER_HANDLERS: Record<string, LayerHandler> = {
  ...CONV_HANDLERS,
  Activation: activation,
  LeakyReLU: leakyRelu,
  ReLU: relu,
  Softmax: softmax,
  Add: merge('Add'),
  Multiply: merge('Mul'),
  Subtract: merge('Sub'),
  Maximum: merge('Max'),
  Minimum: merge('Min'),
  Concatenate: concatenate,
  Reshape: reshape,
  Flatten: flatten,
  Dropout: identity,
  SpatialDropout1D: identity,
  SpatialDropout2D: identity,
  GaussianNoise: identity,
  GaussianDropout: identity,
  AlphaDropout: identity,
  MadenetSeededDrop: identity,
  MadenetSeededDropout: identity,
  MadenetImagenetNormalization: imagenetNormalization,
};
