// A dropout / drop-path (stochastic depth) layer whose masks come from a seed and a call counter, so a seeded
// run draws the same masks; tf.layers.dropout either draws unseeded or, given a seed, the same mask every step.
// (Registered as MadenetSeededDrop: distinct from lpd's MadenetSeededDropout, whose config has no perSample.)
import * as tf from '@tensorflow/tfjs';

export interface SeededDropArgs {
  name: string;
  /** Probability of dropping (0 = identity). */
  rate: number;
  /** true: one keep/drop decision per sample ([N,1,1,...], timm's drop_path); false: per element. */
  perSample?: boolean;
  seed: number;
}

/** Identity unless called with `{training: true}`; then x * mask / (1 - rate). Serialisable (registered). */
export class SeededDrop extends tf.layers.Layer {
  static readonly className = 'MadenetSeededDrop';
  readonly rate: number;
  readonly perSample: boolean;
  readonly seed: number;
  private calls = 0;

  constructor(args: SeededDropArgs) {
    super({ name: args.name });
    if (!(args.rate >= 0 && args.rate < 1)) throw new Error(`SeededDrop ${args.name}: rate ${args.rate} not in [0, 1)`);
    this.rate = args.rate;
    this.perSample = args.perSample ?? false;
    this.seed = args.seed >>> 0;
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape | tf.Shape[] {
    return inputShape;
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: { training?: boolean }): tf.Tensor {
    const x = Array.isArray(inputs) ? inputs[0] : inputs;
    if (x === undefined) throw new Error(`SeededDrop ${this.name} needs one input`);
    if (kwargs.training !== true || this.rate === 0) return x;
    // A different mask for every training call, reproducible from (seed, call index).
    const callSeed = (this.seed + Math.imul(++this.calls, 0x9e3779b1)) >>> 0;
    return tf.tidy(() => {
      const keep = 1 - this.rate;
      const shape = this.perSample ? [x.shape[0] as number, ...x.shape.slice(1).map(() => 1)] : x.shape;
      const mask = tf.floor(tf.randomUniform(shape, keep, 1 + keep, 'float32', callSeed));
      return x.mul(mask).div(keep);
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), rate: this.rate, perSample: this.perSample, seed: this.seed };
  }
}

tf.serialization.registerClass(SeededDrop);

export function seededDrop(x: tf.SymbolicTensor, args: SeededDropArgs): tf.SymbolicTensor {
  return new SeededDrop(args).apply(x) as tf.SymbolicTensor;
}

/**
 * Exact resume of seeded masks: a seeded layer draws from (seed, training calls so far), and that count lives only
 * in the layer object, so a resumed model is told how many calls came before. Sets the count of every layer
 * `isSeeded` picks to `steps`; returns how many layers were set.
 */
export function setSeededCallCounts(model: tf.LayersModel, steps: number, isSeeded: (layer: tf.layers.Layer) => boolean): number {
  let n = 0;
  for (const layer of model.layers) {
    if (!isSeeded(layer)) continue;
    // The counter is private to the layer (no setter yet); the resume tests pin its name and meaning.
    (layer as unknown as { calls: number }).calls = steps;
    n++;
  }
  return n;
}
