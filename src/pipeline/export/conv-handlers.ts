// ONNX conversions of the weighted and spatial tfjs layers (Conv2D, DepthwiseConv2D, Conv2DTranspose, Dense,
// BatchNormalization, padding, pooling, upsampling), reproducing tfjs's padding and resampling rules.
import { MadenetError } from '../core/errors.js';
import type { LayerCall, LayerHandler, Val } from './layer-call.js';
import { attr } from './onnx-graph.js';
import { activate, configActivation, layerWeights, pairOf, val } from './onnx-ops.js';
import { permute, samePadding } from './tensor-layout.js';
import type { AttributeValue } from './onnx-proto.js';

function image(c: LayerCall): Val {
  const x = c.inputs[0];
  if (c.inputs.length !== 1 || x === undefined || x.rank !== 4 || !x.channelsFirst) {
    throw new MadenetError('E_EXPORT', `Cannot export ${c.layer.getClassName()} ${c.layer.name}: expected one image tensor [N,H,W,C].`);
  }
  if (c.config.dataFormat !== undefined && c.config.dataFormat !== 'channelsLast') {
    throw new MadenetError('E_EXPORT', `Cannot export ${c.layer.name}: dataFormat ${String(c.config.dataFormat)}; expected channelsLast.`);
  }
  return x;
}

/** Conv/pool spatial attributes for tfjs padding 'same' | 'valid' (explicit pads when the size is known). */
function windowAttrs(c: LayerCall, kernel: [number, number], strides: [number, number], dilation: [number, number]): Record<string, AttributeValue> {
  const padding = c.config.padding;
  const base = { kernel_shape: attr.ints(kernel), strides: attr.ints(strides) };
  if (padding === 'valid') return { ...base, pads: attr.ints([0, 0, 0, 0]) };
  if (padding !== 'same') throw new MadenetError('E_EXPORT', `Cannot export ${c.layer.name}: padding ${String(padding)}; expected same or valid.`);
  const [, h, w] = c.inputShapes[0] ?? [];
  const known = (size: number | null | undefined, axis: 0 | 1): [number, number] | null => {
    if (typeof size === 'number') return samePadding(size, kernel[axis], strides[axis], dilation[axis]);
    if (strides[axis] === 1) return samePadding(1, kernel[axis], 1, dilation[axis]); // total = (k-1)d at stride 1
    return null;
  };
  const ph = known(h, 0);
  const pw = known(w, 1);
  if (ph === null || pw === null) return { ...base, auto_pad: attr.s('SAME_UPPER') };
  return { ...base, pads: attr.ints([ph[0], pw[0], ph[1], pw[1]]) };
}

function conv2d(c: LayerCall): Val {
  // tfjs kernel [kh,kw,in,out] -> ONNX [out,in,kh,kw].
  return convNode(c, [3, 2, 0, 1], (kh, kw, cin, cout) => ({ shape: [cout, cin, kh, kw], out: cout, group: 1 }));
}

function depthwiseConv2d(c: LayerCall): Val {
  // tfjs output channel c*mult + m uses kernel[:, :, c, m]; ONNX group c owns output channels c*mult .. c*mult+mult-1.
  return convNode(c, [2, 3, 0, 1], (kh, kw, ch, mult) => ({ shape: [ch * mult, 1, kh, kw], out: ch * mult, group: ch }));
}

/** A Conv node (then the layer's activation) from a tfjs kernel [kh,kw,a,b], permuted by `perm` to ONNX's [out, in/group, kh, kw]. */
function convNode(c: LayerCall, perm: number[], layout: (kh: number, kw: number, a: number, b: number) => { shape: number[]; out: number; group: number }): Val {
  const x = image(c);
  const [kernel, bias] = layerWeights(c.layer);
  if (!kernel) throw new MadenetError('E_EXPORT', `Cannot export ${c.layer.name}: no kernel.`);
  const [kh, kw, a, b] = kernel.shape as [number, number, number, number];
  const { shape, out, group } = layout(kh, kw, a, b);
  const w = c.graph.constFloat(`${c.hint}/W`, permute(kernel.data, kernel.shape, perm), shape);
  const inputs = [x.name, w];
  if (c.config.useBias !== false && bias) inputs.push(c.graph.constFloat(`${c.hint}/B`, bias.data, [out]));
  const dilation = pairOf(c.config.dilationRate ?? 1, `${c.layer.name}.dilationRate`);
  const attrs = { ...windowAttrs(c, [kh, kw], pairOf(c.config.strides, `${c.layer.name}.strides`), dilation), dilations: attr.ints(dilation), group: attr.i(group) };
  const y = val(c.graph.node('Conv', inputs, attrs, c.hint), 4, true);
  return activate(c.graph, y, configActivation(c.config), `${c.hint}/act`);
}

function conv2dTranspose(c: LayerCall): Val {
  const x = image(c);
  const [kernel, bias] = layerWeights(c.layer);
  if (!kernel) throw new MadenetError('E_EXPORT', `Cannot export ${c.layer.name}: no kernel.`);
  // tfjs kernel [kh,kw,out,in] is the forward conv's filter; ONNX ConvTranspose wants [in,out,kh,kw], unflipped.
  const [kh, kw, cout, cin] = kernel.shape as [number, number, number, number];
  const w = c.graph.constFloat(`${c.hint}/W`, permute(kernel.data, kernel.shape, [3, 2, 0, 1]), [cin, cout, kh, kw]);
  const inputs = [x.name, w];
  if (c.config.useBias !== false && bias) inputs.push(c.graph.constFloat(`${c.hint}/B`, bias.data, [cout]));
  const [sh, sw] = pairOf(c.config.strides, `${c.layer.name}.strides`);
  if (c.config.padding !== 'same' && c.config.padding !== 'valid') throw new MadenetError('E_EXPORT', `Cannot export ${c.layer.name}: padding ${String(c.config.padding)}; expected same or valid.`);
  // tfjs output side: in*s ('same') or in*s + max(k - s, 0) ('valid'); ONNX gives s(in-1) + k - pads + output_padding.
  // 'same' crops k - s cells, the odd one at the end (the forward conv's TF 'same' padding).
  const crop = (k: number, s: number): [number, number] => {
    const total = c.config.padding === 'same' ? Math.max(k - s, 0) : 0;
    return [Math.floor(total / 2), total - Math.floor(total / 2)];
  };
  const [pt, pb] = crop(kh, sh);
  const [pl, pr] = crop(kw, sw);
  const attrs = {
    kernel_shape: attr.ints([kh, kw]),
    strides: attr.ints([sh, sw]),
    pads: attr.ints([pt, pl, pb, pr]),
    output_padding: attr.ints([Math.max(sh - kh, 0), Math.max(sw - kw, 0)]),
  };
  const y = val(c.graph.node('ConvTranspose', inputs, attrs, c.hint), 4, true);
  return activate(c.graph, y, configActivation(c.config), `${c.hint}/act`);
}

function dense(c: LayerCall): Val {
  const x = c.inputs[0];
  const [kernel, bias] = layerWeights(c.layer);
  if (!x || !kernel) throw new MadenetError('E_EXPORT', `Cannot export ${c.layer.name}: expected one input and a kernel.`);
  const [cin, units] = kernel.shape as [number, number];
  const useBias = c.config.useBias !== false && bias !== undefined;
  let y: Val;
  if (x.channelsFirst && x.rank === 4) {
    // Rows [M,D] held as [N,D,h,w]: the same linear map is a 1x1 conv.
    const w = c.graph.constFloat(`${c.hint}/W`, permute(kernel.data, kernel.shape, [1, 0]), [units, cin, 1, 1]);
    const inputs = [x.name, w, ...(useBias ? [c.graph.constFloat(`${c.hint}/B`, bias.data, [units])] : [])];
    y = val(c.graph.node('Conv', inputs, { kernel_shape: attr.ints([1, 1]) }, c.hint), 4, true);
  } else if (x.rank === 2) {
    const w = c.graph.constFloat(`${c.hint}/W`, kernel.data, [cin, units]);
    const inputs = [x.name, w, ...(useBias ? [c.graph.constFloat(`${c.hint}/B`, bias.data, [units])] : [])];
    y = val(c.graph.node('Gemm', inputs, {}, c.hint), 2, false);
  } else {
    throw new MadenetError('E_EXPORT', `Cannot export Dense ${c.layer.name} on a rank-${x.rank} input; expected [N,C] rows.`);
  }
  return activate(c.graph, y, configActivation(c.config), `${c.hint}/act`);
}

function batchNorm(c: LayerCall): Val {
  const x = c.inputs[0];
  if (!x) throw new MadenetError('E_EXPORT', `Cannot export ${c.layer.name}: no input.`);
  const axisCfg = c.config.axis;
  const axis = typeof axisCfg === 'number' ? axisCfg : Array.isArray(axisCfg) && axisCfg.length === 1 ? (axisCfg[0] as number) : NaN;
  const kerasRank = (c.inputShapes[0] ?? []).length;
  const normalised = axis < 0 ? axis + kerasRank : axis;
  if (normalised !== kerasRank - 1) throw new MadenetError('E_EXPORT', `Cannot export BatchNormalization ${c.layer.name} over axis ${String(axisCfg)}; expected the channel (last) axis.`);
  const weights = layerWeights(c.layer);
  const scale = c.config.scale !== false;
  const center = c.config.center !== false;
  let i = 0;
  const gamma = scale ? weights[i++] : undefined;
  const beta = center ? weights[i++] : undefined;
  const mean = weights[i++];
  const variance = weights[i++];
  if (!mean || !variance) throw new MadenetError('E_EXPORT', `Cannot export ${c.layer.name}: moving statistics missing.`);
  const ch = mean.data.length;
  const inputs = [
    x.name,
    c.graph.constFloat(`${c.hint}/scale`, gamma?.data ?? new Float32Array(ch).fill(1), [ch]),
    c.graph.constFloat(`${c.hint}/bias`, beta?.data ?? new Float32Array(ch), [ch]),
    c.graph.constFloat(`${c.hint}/mean`, mean.data, [ch]),
    c.graph.constFloat(`${c.hint}/var`, variance.data, [ch]),
  ];
  const eps = typeof c.config.epsilon === 'number' ? c.config.epsilon : 1e-3;
  return val(c.graph.node('BatchNormalization', inputs, { epsilon: attr.f(eps) }, c.hint), x.rank, x.channelsFirst);
}

function zeroPadding2d(c: LayerCall): Val {
  const x = image(c);
  const p = c.config.padding;
  const pairs = Array.isArray(p) && p.length === 2 ? p.map((q, i) => pairOf(q, `${c.layer.name}.padding[${i}]`)) : [pairOf(p, `${c.layer.name}.padding`), pairOf(p, `${c.layer.name}.padding`)];
  const [[t, b], [l, r]] = pairs as [[number, number], [number, number]];
  const pads = c.graph.constInt64([0, 0, t, l, 0, 0, b, r]);
  return val(c.graph.node('Pad', [x.name, pads], { mode: attr.s('constant') }, c.hint), 4, true);
}

function pool(op: 'MaxPool' | 'AveragePool'): LayerHandler {
  return (c) => {
    const x = image(c);
    const kernel = pairOf(c.config.poolSize, `${c.layer.name}.poolSize`);
    const strides = pairOf(c.config.strides ?? c.config.poolSize, `${c.layer.name}.strides`);
    // tf.avgPool leaves padded cells out of the mean.
    const extra: Record<string, AttributeValue> = op === 'AveragePool' ? { count_include_pad: attr.i(0) } : {};
    return val(c.graph.node(op, [x.name], { ...windowAttrs(c, kernel, strides, [1, 1]), ...extra }, c.hint), 4, true);
  };
}

function globalPool(op: 'ReduceMean' | 'ReduceMax'): LayerHandler {
  return (c) => {
    const x = image(c);
    return val(c.graph.node(op, [x.name], { axes: attr.ints([2, 3]), keepdims: attr.i(0) }, c.hint), 2, false);
  };
}

function upSampling2d(c: LayerCall): Val {
  const x = image(c);
  const [fh, fw] = pairOf(c.config.size, `${c.layer.name}.size`);
  const scales = c.graph.constFloat(`${c.hint}/scales`, [1, 1, fh, fw], [4]);
  // tfjs resizes with TF's legacy sampling (no half-pixel centres): source = dest / factor, i.e. ONNX 'asymmetric'.
  const bilinear = c.config.interpolation === 'bilinear';
  const attrs: Record<string, AttributeValue> = bilinear
    ? { mode: attr.s('linear'), coordinate_transformation_mode: attr.s('asymmetric') }
    : { mode: attr.s('nearest'), coordinate_transformation_mode: attr.s('asymmetric'), nearest_mode: attr.s('floor') };
  return val(c.graph.node('Resize', [x.name, '', scales], attrs, c.hint), 4, true);
}

export const CONV_HANDLERS: Record<string, LayerHandler> = {
  Conv2D: conv2d,
  DepthwiseConv2D: depthwiseConv2d,
  Conv2DTranspose: conv2dTranspose,
  Dense: dense,
  BatchNormalization: batchNorm,
  ZeroPadding2D: zeroPadding2d,
  MaxPooling2D: pool('MaxPool'),
  AveragePooling2D: pool('AveragePool'),
  GlobalAveragePooling2D: globalPool('ReduceMean'),
  GlobalMaxPooling2D: globalPool('ReduceMax'),
  UpSampling2D: upSampling2d,
};
