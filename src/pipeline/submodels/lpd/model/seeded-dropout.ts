// Dropout whose masks are reproducible yet differ per step: tfjs's Dropout reuses one seed, so every call
// draws the same mask; this layer derives each call's seed from (seed, call count). Training only.
import * as tf from '@tensorflow/tfjs';
import { hashSeed } from '../../../core/random.js';
import { tfSeed } from '../../../../models/components/backbone-init.js';

export interface SeededDropoutArgs {
  rate: number;
  seed: number;
  name?: string;
  trainable?: boolean;
}

export class SeededDropout extends tf.layers.Layer {
  static readonly className = 'MadenetSeededDropout';
  readonly rate: number;
  readonly seed: number;
  private calls = 0;

  constructor(args: SeededDropoutArgs) {
    super(args);
    this.rate = args.rate;
    this.seed = args.seed;
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape | tf.Shape[] {
    return inputShape;
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: { training?: boolean }): tf.Tensor {
    const x = (Array.isArray(inputs) ? inputs[0] : inputs) as tf.Tensor;
    if (!kwargs.training || this.rate <= 0) return x.clone();
    const seed = tfSeed(hashSeed(String(this.calls++), this.seed));
    return tf.dropout(x, this.rate, undefined, seed);
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), rate: this.rate, seed: this.seed };
  }
}

tf.serialization.registerClass(SeededDropout);
