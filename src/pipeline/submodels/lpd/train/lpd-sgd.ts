// CutPaste's optimiser: SGD with momentum 0.9 (PyTorch's form, v = m v + g; w -= lr v). Wraps tfjs's
// MomentumOptimizer for two of its quirks: the rate must go through setLearningRate (it reads a cached scalar,
// not `learningRate`), and its dispose() forgets that scalar.
import * as tf from '@tensorflow/tfjs';

export class LpdSgd extends tf.MomentumOptimizer {
  constructor(learningRate: number, momentum: number) {
    super(learningRate, momentum);
  }

  /** The schedule's rate for the next update. */
  setRate(lr: number): void {
    if (lr !== this.learningRate) this.setLearningRate(lr);
  }

  override dispose(): void {
    super.dispose();
    this.c.dispose();
  }
}
