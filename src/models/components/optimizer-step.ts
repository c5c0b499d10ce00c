// One optimiser step that also reports: minimize() hands back only the total loss, so the terms a trainer logs
// are kept from inside the loss function and read back with the total in one transfer. Leak-free; async only for
// the read-back, since a GPU backend (webgpu) cannot read synchronously in Node.
import * as tf from '@tensorflow/tfjs';

/** What the loss function of a reporting step returns: the scalar to minimise and the scalars to report. */
export interface ReportedLoss {
  total: tf.Scalar;
  parts: readonly tf.Scalar[];
}

/**
 * Minimises `loss().total` over `variables` only (an optimiser given no list would update every variable in
 * the process); returns [total, ...parts] as numbers, every tensor made here disposed.
 */
export async function minimizeReporting(optimizer: tf.Optimizer, variables: tf.Variable[], loss: () => ReportedLoss): Promise<number[]> {
  let parts: tf.Scalar[] = [];
  const total = optimizer.minimize(
    () => {
      const l = loss();
      parts = l.parts.map((p) => tf.keep(p));
      return l.total;
    },
    true,
    variables,
  ) as tf.Scalar;
  const stacked = tf.tidy(() => tf.stack([total, ...parts]));
  tf.dispose([total, ...parts]);
  const values = await stacked.data().finally(() => stacked.dispose());
  return Array.from(values);
}
