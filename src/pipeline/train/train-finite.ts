// A divergence check on the weights themselves: a loss can stay finite (saturated sigmoids, batch norm) while
// weights have already overflowed, and a checkpoint of such weights would not be a good one to resume from.
import * as tf from '@tensorflow/tfjs';

/** True when every weight of every model (batch-norm statistics included) is finite; one read-back. */
export async function weightsFinite(models: readonly tf.LayersModel[]): Promise<boolean> {
  const probe = tf.tidy(() => {
    // x * 0 is 0 for finite x and NaN for NaN or +-Inf, so one sum answers for all of them.
    const parts = models.flatMap((m) => m.weights.map((w) => w.read().mul(0).sum()));
    return parts.length === 0 ? tf.scalar(0) : tf.addN(parts);
  });
  const value = (await probe.data().finally(() => probe.dispose()))[0] as number;
  return Number.isFinite(value);
}
