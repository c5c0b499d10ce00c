// Adam with a learning-rate multiplier and an L2 weight decay per group of variables (SimpleNet trains its
// adaptor at half the discriminator's rate), as ONE optimizer, so checkpoints save and restore it like any Adam.
import * as tf from '@tensorflow/tfjs';
import { MadenetError } from '../core/errors.js';

export interface AdamGroup {
  variables: readonly tf.Variable[];
  /** The group's rate is learningRate x this (1 = the base rate). */
  lrScale: number;
  /** PyTorch Adam's weight_decay: wd * w is added to the gradient (coupled L2, not AdamW). */
  weightDecay?: number;
}

interface Slot {
  originalName: string;
  variable: tf.Variable;
}

/** The private state of tfjs's AdamOptimizer this subclass drives (tfjs-core 4.22 field names). */
interface AdamState {
  accBeta1: tf.Variable;
  accBeta2: tf.Variable;
  accumulatedFirstMoment: Slot[];
  accumulatedSecondMoment: Slot[];
}

/**
 * tfjs's Adam update, per variable with lr = learningRate x lrScale of its group and g += weightDecay x w.
 * Slots, iteration count and beta powers are the parent's own, so getWeights/setWeights (and the checkpoint
 * helpers that store Adam's beta powers) work unchanged. `learningRate` is the base rate a schedule sets.
 */
export class GroupedAdam extends tf.AdamOptimizer {
  private readonly groupOf = new Map<string, { lrScale: number; weightDecay: number }>();

  static override get className(): string {
    return 'MadenetGroupedAdam';
  }

  constructor(learningRate: number, groups: readonly AdamGroup[], beta1 = 0.9, beta2 = 0.999) {
    super(learningRate, beta1, beta2);
    for (const g of groups) {
      if (!(g.lrScale > 0 && Number.isFinite(g.lrScale))) throw new MadenetError('E_INTERNAL', `GroupedAdam: lrScale ${g.lrScale} is not a positive number.`);
      for (const v of g.variables) this.groupOf.set(v.name, { lrScale: g.lrScale, weightDecay: g.weightDecay ?? 0 });
    }
  }

  override applyGradients(variableGradients: tf.NamedTensorMap | { name: string; tensor: tf.Tensor }[]): void {
    const list = Array.isArray(variableGradients)
      ? variableGradients
      : Object.keys(variableGradients).map((name) => ({ name, tensor: variableGradients[name] as tf.Tensor }));
    const s = this as unknown as AdamState;
    const registered = tf.engine().registeredVariables;
    tf.tidy(() => {
      const oneMinusAccBeta1 = tf.sub(1, s.accBeta1);
      const oneMinusAccBeta2 = tf.sub(1, s.accBeta2);
      list.forEach(({ name, tensor: gradient }, i) => {
        const value = registered[name];
        const group = this.groupOf.get(name);
        if (!value || !group) throw new MadenetError('E_INTERNAL', `GroupedAdam got a gradient for ${name}, which is in none of its groups.`);
        s.accumulatedFirstMoment[i] ??= { originalName: `${name}/m`, variable: tf.tidy(() => tf.zerosLike(value).variable(false)) };
        s.accumulatedSecondMoment[i] ??= { originalName: `${name}/v`, variable: tf.tidy(() => tf.zerosLike(value).variable(false)) };
        if (gradient == null) return;
        const g = group.weightDecay > 0 ? tf.add(gradient, tf.mul(value, group.weightDecay)) : gradient;
        const m = (s.accumulatedFirstMoment[i] as Slot).variable;
        const v = (s.accumulatedSecondMoment[i] as Slot).variable;
        const newM = tf.add(tf.mul(m, this.beta1), tf.mul(g, 1 - this.beta1));
        const newV = tf.add(tf.mul(v, this.beta2), tf.mul(tf.square(g), 1 - this.beta2));
        const mHat = tf.div(newM, oneMinusAccBeta1);
        const vHat = tf.div(newV, oneMinusAccBeta2);
        m.assign(newM);
        v.assign(newV);
        const lr = this.learningRate * group.lrScale;
        value.assign(tf.add(tf.mul(tf.div(mHat, tf.add(tf.sqrt(vHat), this.epsilon)), -lr), value));
      });
      s.accBeta1.assign(tf.mul(s.accBeta1, this.beta1));
      s.accBeta2.assign(tf.mul(s.accBeta2, this.beta2));
    });
    this.incrementIterations();
  }
}
