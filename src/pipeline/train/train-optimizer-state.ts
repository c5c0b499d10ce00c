// Optimizer state to and from checkpoint files (optimizer.json + optimizer.bin), so that a resumed run takes
// exactly the steps an uninterrupted one would. Slot variables are matched by position, as tfjs does.
import * as tf from '@tensorflow/tfjs';
import { MadenetError } from '../core/errors.js';

export const OPTIMIZER_JSON = 'optimizer.json';
export const OPTIMIZER_BIN = 'optimizer.bin';

interface OptimizerStateJson {
  className: string;
  /** Original slot names (e.g. "enc.conv1/kernel/m"), in getWeights() order. */
  names: string[];
  specs: tf.io.WeightsManifestEntry[];
  /**
   * Adam's running beta powers. tfjs recomputes them as pow(beta, t + 1) in setWeights, which differs in the
   * last float bits from the product it accumulated, so they are stored and put back as they were.
   */
  accBeta: [number, number] | null;
}

interface AdamInternals {
  accBeta1?: tf.Variable;
  accBeta2?: tf.Variable;
}

/** The optimizer's slots and iteration count as two files; slot names are replaced by indices in the binary. */
export async function optimizerStateFiles(optimizer: tf.Optimizer): Promise<Record<string, Buffer | string>> {
  const weights = await optimizer.getWeights();
  let encoded: { data: ArrayBuffer; specs: tf.io.WeightsManifestEntry[] };
  try {
    encoded = await tf.io.encodeWeights(weights.map((w, i) => ({ name: `w${i}`, tensor: w.tensor })));
  } finally {
    // The first entry is a scalar made just for getWeights (the iteration count); the rest are live slots.
    weights[0]?.tensor.dispose();
  }
  const { data, specs } = encoded;
  const adam = optimizer as unknown as AdamInternals;
  const accBeta: [number, number] | null =
    adam.accBeta1 && adam.accBeta2 ? [(await adam.accBeta1.data())[0] as number, (await adam.accBeta2.data())[0] as number] : null;
  const json: OptimizerStateJson = { className: optimizer.getClassName(), names: weights.map((w) => w.name), specs, accBeta };
  return { [OPTIMIZER_JSON]: JSON.stringify(json), [OPTIMIZER_BIN]: Buffer.from(data) };
}

/** Puts saved state into a fresh optimizer of the same class built for the same variable list. */
export async function restoreOptimizerState(optimizer: tf.Optimizer, jsonText: string, bin: Buffer, where: string): Promise<void> {
  let json: OptimizerStateJson;
  try {
    json = JSON.parse(jsonText) as OptimizerStateJson;
  } catch (err) {
    throw new MadenetError('E_ARTIFACT', `${where}: ${OPTIMIZER_JSON} is not valid JSON (${(err as Error).message}).`);
  }
  if (json.className !== optimizer.getClassName()) {
    throw new MadenetError('E_ARTIFACT', `${where} holds the state of a ${json.className} optimizer; expected ${optimizer.getClassName()}.`);
  }
  const buffer = bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.byteLength) as ArrayBuffer;
  const decoded = tf.io.decodeWeights(buffer, json.specs);
  const named = json.specs.map((s, i) => ({ name: json.names[i] ?? s.name, tensor: decoded[s.name] as tf.Tensor }));
  try {
    await optimizer.setWeights(named);
    const adam = optimizer as unknown as AdamInternals;
    if (json.accBeta && adam.accBeta1 && adam.accBeta2) {
      const [b1, b2] = json.accBeta;
      tf.tidy(() => {
        adam.accBeta1?.assign(tf.scalar(b1));
        adam.accBeta2?.assign(tf.scalar(b2));
      });
    }
  } finally {
    // setWeights made variables of its own from these tensors.
    tf.dispose(named.map((n) => n.tensor));
  }
}
