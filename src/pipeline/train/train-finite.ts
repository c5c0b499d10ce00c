// A divergence check on the weights themselves: a loss can stay finite (saturated sigmoids, batch norm) while
// weights have already overflowed, and a checkpoint of such weights would not be a good one to resume from.
import * as tf from '@tensorflow/tfjs';
import { MAX_WEIGHT_MAGNITUDE } from '../artifacts/weight-values.js';

/**
 * True when every weight of every model (batch-norm statistics included) is finite and below the magnitude at
 * which the artifact store refuses weights (an lr of 1e6 explodes them to 1e27 long before they overflow); one
 * read-back.
 */
export async function weightsFinite(models: readonly tf.LayersModel[]): Promise<boolean> {
  const probe = tf.tidy(() => {
    // x * 0 is 0 for finite x and NaN for NaN or +-Inf, so one sum answers for those (a max may skip NaN);
    // added to the largest magnitude, the result is that magnitude when everything is finite.
    const weights = models.flatMap((m) => m.weights.filter((w) => w.dtype === 'float32').map((w) => w.read()));
    if (weights.length === 0) return tf.scalar(0);
    const nan = tf.addN(weights.map((w) => w.mul(0).sum()));
    const largest = tf.max(tf.stack(weights.map((w) => w.abs().max())));
    return nan.add(largest);
  });
  // Asynchronous: a GPU backend (webgpu) cannot read synchronously in Node.
  const value = (await probe.data().finally(() => probe.dispose()))[0] as number;
  return Number.isFinite(value) && value <= MAX_WEIGHT_MAGNITUDE;
}
