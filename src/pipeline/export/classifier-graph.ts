// The ISM pre-classifier as an ONNX graph: `images` [N,S,S,3] in [0,1] -> `probs` [N,K] (its softmax layer
// included), the same contract as the tfjs Classifier's predict.
import type * as tf from '@tensorflow/tfjs';
import { MadenetError } from '../core/errors.js';
import { LayersConverter } from './layers-converter.js';
import { imageInput } from './layers-model-graph.js';
import { ONNX_INPUT, ONNX_PROBS } from './onnx-contract.js';
import { OnnxGraph } from './onnx-graph.js';

export function classifierGraph(model: tf.LayersModel, imageSize: number): OnnxGraph {
  const g = new OnnxGraph('classifier');
  const image = imageInput(g, ONNX_INPUT, [null, imageSize, imageSize, 3]);
  const [probs] = new LayersConverter(g, 'classifier/').convertModel(model, [image]);
  const k = model.outputs[0]?.shape[1];
  if (probs === undefined || probs.rank !== 2 || typeof k !== 'number') throw new MadenetError('E_EXPORT', `Classifier ${model.name} must output [N,K] probabilities.`);
  g.output(probs.name, ONNX_PROBS, ['N', k]);
  return g;
}
