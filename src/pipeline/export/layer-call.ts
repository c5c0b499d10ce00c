// The values and calls that pass between the graph walker (layers-converter.ts) and the per-class handlers
// (layer-handlers.ts, conv-handlers.ts, onnx-ops.ts). Types only, in a module of their own so that neither side imports the other.
import type * as tf from '@tensorflow/tfjs';
import type { OnnxGraph } from './onnx-graph.js';

/**
 * A value in the ONNX graph. `channelsFirst`: the tfjs tensor is channels-last but this value keeps the
 * channel on axis 1 (NCHW for images; also a dense layer's [M,D] rows held as [N,D,h,w]).
 */
export interface Val {
  name: string;
  rank: number;
  channelsFirst: boolean;
}

/** What a layer handler gets: the layer, its inputs as graph values and their tfjs (channels-last) shapes. */
export interface LayerCall {
  graph: OnnxGraph;
  layer: tf.layers.Layer;
  config: Record<string, unknown>;
  inputs: Val[];
  inputShapes: (number | null)[][];
  outputShape: (number | null)[];
  /** Prefix + layer name: the base of every value name this call adds. */
  hint: string;
}

export type LayerHandler = (call: LayerCall) => Val;
