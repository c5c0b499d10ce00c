// Shared scaffolding of the detector graphs: the `images` input (NHWC, transposed once to NCHW) and the
// `scores` [N] / `maps` [N,S,S] outputs of onnx-contract.ts. Each submodel's graph builder fills in between.
import type { Val } from './layer-call.js';
import { imageInput } from './layers-model-graph.js';
import { dropChannel, type SizedVal } from './map-ops.js';
import { OnnxGraph } from './onnx-graph.js';
import { ONNX_INPUT, ONNX_MAPS, ONNX_SCORES } from './onnx-contract.js';

export interface DetectorGraph {
  graph: OnnxGraph;
  /** The NCHW image [N,3,S,S] in [0,1]. */
  image: SizedVal;
}

export function startDetectorGraph(name: string, imageSize: number): DetectorGraph {
  const graph = new OnnxGraph(name);
  const v: Val = imageInput(graph, ONNX_INPUT, [null, imageSize, imageSize, 3]);
  return { graph, image: { ...v, channels: 3, height: imageSize, width: imageSize } };
}

/** map [N,1,S,S], score [N] -> the graph outputs. */
export function finishDetectorGraph(d: DetectorGraph, map: SizedVal, score: string): OnnxGraph {
  const s = d.image.height;
  d.graph.output(score, ONNX_SCORES, ['N']);
  d.graph.output(dropChannel(d.graph, map, 'map'), ONNX_MAPS, ['N', s, s]);
  return d.graph;
}
