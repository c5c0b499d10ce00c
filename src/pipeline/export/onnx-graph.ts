// Builds an ONNX graph node by node: unique value names, constant initializers, typed attributes, graph
// inputs/outputs, then the ModelProto (opset 17). It knows no layer types; converters call it.
import { DataType, type AttributeValue, type Dim, type ModelProto, type NodeProto, type TensorProto } from './onnx-proto.js';

/** The opset every madenet export targets (ReduceMax/ReduceMean still take `axes` as an attribute here). */
export const ONNX_OPSET = 17;
/** IR version 8 is the one that goes with opset 17. */
export const ONNX_IR_VERSION = 8;

/** Typed attribute constructors: ONNX tells ints from floats, JavaScript numbers do not. */
export const attr = {
  i: (value: number): AttributeValue => ({ kind: 'int', value }),
  f: (value: number): AttributeValue => ({ kind: 'float', value }),
  s: (value: string): AttributeValue => ({ kind: 'string', value }),
  ints: (value: readonly number[]): AttributeValue => ({ kind: 'ints', value }),
  floats: (value: readonly number[]): AttributeValue => ({ kind: 'floats', value }),
};

export class OnnxGraph {
  private readonly nodes: NodeProto[] = [];
  private readonly initializers: TensorProto[] = [];
  private readonly inputs: { name: string; shape: Dim[] }[] = [];
  private readonly outputs: { name: string; shape: Dim[] }[] = [];
  private readonly used = new Set<string>();
  private readonly int64Cache = new Map<string, string>();

  constructor(readonly name: string) {}

  /** A fresh value name from a hint (layer names may hold any characters; ONNX names are free-form strings). */
  unique(hint: string): string {
    let name = hint;
    for (let k = 1; this.used.has(name); k++) name = `${hint}_${k}`;
    this.used.add(name);
    return name;
  }

  /** A float32 graph input, e.g. images [N,S,S,3]. */
  input(name: string, shape: Dim[]): string {
    if (this.used.has(name)) throw new Error(`onnx graph: input name ${name} is taken`);
    this.used.add(name);
    this.inputs.push({ name, shape });
    return name;
  }

  /** Publishes `value` as graph output `name` (through an Identity when the names differ). */
  output(value: string, name: string, shape: Dim[]): void {
    const out = value === name ? value : this.node('Identity', [value], {}, name, name);
    this.outputs.push({ name: out, shape });
  }

  constFloat(hint: string, data: Float32Array | readonly number[], dims: readonly number[]): string {
    const f = data instanceof Float32Array ? data : Float32Array.from(data);
    const count = dims.reduce((a, b) => a * b, 1);
    if (f.length !== count) throw new Error(`onnx graph: constant ${hint} has ${f.length} values for dims [${dims.join(',')}]`);
    const name = this.unique(hint);
    this.initializers.push({ name, dataType: DataType.FLOAT, dims: [...dims], raw: new Uint8Array(f.buffer.slice(f.byteOffset, f.byteOffset + f.byteLength)) });
    return name;
  }

  /** An int64 constant (shapes, axes, indices); identical ones are shared. */
  constInt64(values: readonly number[], dims: readonly number[] = [values.length]): string {
    const key = `${dims.join('x')}:${values.join(',')}`;
    const hit = this.int64Cache.get(key);
    if (hit) return hit;
    const data = BigInt64Array.from(values, (v) => BigInt(v));
    const name = this.unique(`const_i64_${this.int64Cache.size}`);
    this.initializers.push({ name, dataType: DataType.INT64, dims: [...dims], raw: new Uint8Array(data.buffer) });
    this.int64Cache.set(key, name);
    return name;
  }

  /** Adds one node with one output; returns the output's name. `''` in inputs marks an omitted optional input. */
  node(opType: string, inputs: readonly string[], attributes: Record<string, AttributeValue>, hint: string, outputName?: string): string {
    const out = outputName === undefined ? this.unique(hint) : this.claim(outputName);
    this.nodes.push({ opType, name: this.unique(`${hint}/${opType}`), inputs: [...inputs], outputs: [out], attributes });
    return out;
  }

  private claim(name: string): string {
    if (this.used.has(name)) throw new Error(`onnx graph: value name ${name} is taken`);
    this.used.add(name);
    return name;
  }

  get nodeCount(): number {
    return this.nodes.length;
  }

  toModel(opts: { producerVersion: string; docString?: string; metadata?: Record<string, string> }): ModelProto {
    if (this.outputs.length === 0) throw new Error(`onnx graph ${this.name}: no outputs`);
    return {
      irVersion: ONNX_IR_VERSION,
      opsetVersion: ONNX_OPSET,
      producerName: 'madenet',
      producerVersion: opts.producerVersion,
      ...(opts.docString === undefined ? {} : { docString: opts.docString }),
      ...(opts.metadata === undefined ? {} : { metadata: opts.metadata }),
      graph: {
        name: this.name,
        nodes: this.nodes,
        initializers: this.initializers,
        inputs: this.inputs.map((v) => ({ name: v.name, elemType: DataType.FLOAT, shape: v.shape })),
        outputs: this.outputs.map((v) => ({ name: v.name, elemType: DataType.FLOAT, shape: v.shape })),
      },
    };
  }
}
