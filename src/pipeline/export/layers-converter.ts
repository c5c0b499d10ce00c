// Walks a tf.LayersModel's symbolic graph (outputs back to inputs, each layer call once) and emits ONNX
// nodes for it through the per-class handlers in layer-handlers.ts. 4-D values are NCHW inside the graph.
import type * as tf from '@tensorflow/tfjs';
import { MadenetError } from '../core/errors.js';
import { LAYER_HANDLERS } from './layer-handlers.js';
import type { LayerCall, Val } from './layer-call.js';
import type { OnnxGraph } from './onnx-graph.js';

interface KerasNode {
  inputTensors: tf.SymbolicTensor[];
  outputTensors: tf.SymbolicTensor[];
}

/**
 * One converter per graph; shared layers (a backbone used by two heads) are emitted once when both are
 * converted through the same instance, because values are memoised by symbolic tensor id.
 */
export class LayersConverter {
  private readonly memo = new Map<number, Val>();

  constructor(
    readonly graph: OnnxGraph,
    private readonly prefix = '',
  ) {}

  /** Feeds a model input (or any symbolic tensor) from an existing graph value. */
  bind(tensor: tf.SymbolicTensor, value: Val): void {
    this.memo.set(tensor.id, value);
  }

  /** Binds `model`'s inputs to `inputs` (in order) and converts its outputs. */
  convertModel(model: tf.LayersModel, inputs: readonly Val[]): Val[] {
    if (model.inputs.length !== inputs.length) {
      throw new MadenetError('E_EXPORT', `Cannot export ${model.name}: it takes ${model.inputs.length} inputs; ${inputs.length} were given.`);
    }
    model.inputs.forEach((t, i) => this.bind(t, inputs[i] as Val));
    return this.convert(model.outputs);
  }

  /** Converts everything `outputs` depend on; returns their values in order. */
  convert(outputs: readonly tf.SymbolicTensor[]): Val[] {
    const stack: tf.SymbolicTensor[] = [...outputs].reverse();
    while (stack.length > 0) {
      const t = stack[stack.length - 1] as tf.SymbolicTensor;
      if (this.memo.has(t.id)) {
        stack.pop();
        continue;
      }
      const node = nodeOf(t);
      if (node.inputTensors.length === 0) {
        throw new MadenetError('E_EXPORT', `Cannot export: the graph input ${t.name} (layer ${t.sourceLayer.name}) is not bound to an ONNX input.`);
      }
      const missing = node.inputTensors.filter((i) => !this.memo.has(i.id));
      if (missing.length > 0) {
        stack.push(...missing.reverse());
        continue;
      }
      stack.pop();
      this.emit(t, node);
    }
    return outputs.map((o) => this.memo.get(o.id) as Val);
  }

  private emit(t: tf.SymbolicTensor, node: KerasNode): void {
    const layer = t.sourceLayer;
    const className = layer.getClassName();
    const handler = LAYER_HANDLERS[className];
    if (handler === undefined) {
      throw new MadenetError('E_EXPORT', `Cannot export layer ${layer.name}: its class ${className} has no ONNX conversion; expected one of ${Object.keys(LAYER_HANDLERS).sort().join(', ')}.`);
    }
    if (node.outputTensors.length !== 1) {
      throw new MadenetError('E_EXPORT', `Cannot export layer ${layer.name} (${className}): it has ${node.outputTensors.length} outputs; expected one.`);
    }
    const value = handler({
      graph: this.graph,
      layer,
      config: layer.getConfig() as Record<string, unknown>,
      inputs: node.inputTensors.map((i) => this.memo.get(i.id) as Val),
      inputShapes: node.inputTensors.map((i) => [...i.shape]),
      outputShape: [...t.shape],
      hint: `${this.prefix}${layer.name}`,
    });
    this.memo.set(t.id, value);
  }
}

function nodeOf(t: tf.SymbolicTensor): KerasNode {
  const nodes = (t.sourceLayer as unknown as { inboundNodes: KerasNode[] }).inboundNodes;
  const node = nodes[t.nodeIndex];
  if (node === undefined) throw new MadenetError('E_EXPORT', `Cannot export: tensor ${t.name} has no producing call of layer ${t.sourceLayer.name}.`);
  return node;
}
