// A whole tf.LayersModel as an ONNX graph with the model's own input/output layouts (images NHWC in and out,
// NCHW inside): used for layer-level parity tests and for models exported as they are (the classifier).
import type * as tf from '@tensorflow/tfjs';
import { MadenetError } from '../core/errors.js';
import type { Val } from './layer-call.js';
import { LayersConverter } from './layers-converter.js';
import { attr, OnnxGraph } from './onnx-graph.js';
import { NCHW_TO_NHWC, NHWC_TO_NCHW, val } from './onnx-ops.js';
import type { Dim } from './onnx-proto.js';

/** Graph input [N, ...] of a tfjs shape [null, ...]; unknown spatial sizes become symbolic. */
export function symbolicShape(shape: readonly (number | null)[]): Dim[] {
  return shape.map((d, i) => (i === 0 ? 'N' : d === null ? `d${i}` : d));
}

/** Adds a NHWC float input and returns it as an NCHW value (rank-4) or as is (other ranks). */
export function imageInput(graph: OnnxGraph, name: string, shape: readonly (number | null)[]): Val {
  const input = graph.input(name, symbolicShape(shape));
  if (shape.length !== 4) return val(input, shape.length, false);
  return val(graph.node('Transpose', [input], { perm: attr.ints(NHWC_TO_NCHW) }, `${name}/nchw`), 4, true);
}

/** Publishes a value in tfjs layout (NCHW values are transposed back to NHWC). */
export function publish(graph: OnnxGraph, v: Val, name: string, shape: readonly (number | null)[]): void {
  const out = v.channelsFirst && v.rank === 4 ? graph.node('Transpose', [v.name], { perm: attr.ints(NCHW_TO_NHWC) }, `${name}/nhwc`) : v.name;
  graph.output(out, name, symbolicShape(shape));
}

/** Every input and output of `model`, named input_<i> / output_<i>. */
export function layersModelGraph(model: tf.LayersModel, name = model.name): OnnxGraph {
  const graph = new OnnxGraph(name);
  const converter = new LayersConverter(graph);
  model.inputs.forEach((input, i) => converter.bind(input, imageInput(graph, `input_${i}`, input.shape)));
  const outs = converter.convert(model.outputs);
  if (outs.length === 0) throw new MadenetError('E_EXPORT', `Model ${model.name} has no outputs.`);
  outs.forEach((v, i) => publish(graph, v, `output_${i}`, (model.outputs[i] as tf.SymbolicTensor).shape));
  return graph;
}
