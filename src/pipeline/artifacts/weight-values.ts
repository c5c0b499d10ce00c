// The numeric gate every model passes before it is committed as an artifact version (trained, fine-tuned,
// imported or checkpointed): float weights must be finite and below a magnitude no working network reaches.
import type * as tf from '@tensorflow/tfjs';
import { MadenetError } from '../core/errors.js';

/** Weights (batch-norm statistics included) of trained networks stay many orders below this; above it they exploded. */
export const MAX_WEIGHT_MAGNITUDE = 1e6;

/** What is wrong with a float32 array, or null: the first NaN/Inf, else the largest magnitude over the limit. */
export function badValue(data: Float32Array, limit = MAX_WEIGHT_MAGNITUDE): { index: number; value: number } | null {
  let worst = -1;
  let worstAbs = limit;
  for (let i = 0; i < data.length; i++) {
    const v = data[i] as number;
    if (v !== v || v === Infinity || v === -Infinity) return { index: i, value: v };
    const a = v < 0 ? -v : v;
    if (a > worstAbs) {
      worstAbs = a;
      worst = i;
    }
  }
  return worst < 0 ? null : { index: worst, value: data[worst] as number };
}

/** Throws E_WEIGHTS naming the model, weight, index and value when a float32 weight is NaN, Inf or exploded. */
export function checkModelWeights(name: string, artifacts: tf.io.ModelArtifacts): void {
  const specs = artifacts.weightSpecs ?? [];
  const parts = artifacts.weightData === undefined ? [] : Array.isArray(artifacts.weightData) ? artifacts.weightData : [artifacts.weightData];
  let offset = 0;
  let part = 0;
  let partStart = 0;
  for (const spec of specs) {
    const count = spec.shape.reduce((a, b) => a * b, 1);
    const bytes = count * (spec.dtype === 'float32' || spec.dtype === 'int32' ? 4 : spec.dtype === 'bool' ? 1 : 4);
    if (spec.dtype === 'float32' && !spec.quantization) {
      // Weight buffers may be split (CompositeArrayBuffer); find the one holding this weight.
      while (part < parts.length && offset >= partStart + (parts[part] as ArrayBuffer).byteLength) {
        partStart += (parts[part] as ArrayBuffer).byteLength;
        part++;
      }
      const buf = parts[part] as ArrayBuffer | undefined;
      if (buf && offset - partStart + bytes <= buf.byteLength && (offset - partStart) % 4 === 0) {
        const bad = badValue(new Float32Array(buf, offset - partStart, count));
        if (bad) throw weightError(name, spec.name, bad);
      }
    }
    offset += bytes;
  }
}

export function weightError(model: string, weight: string, bad: { index: number; value: number }): MadenetError {
  const what = Number.isFinite(bad.value) ? bad.value.toExponential(2) : String(bad.value);
  return new MadenetError('E_WEIGHTS', `Weight ${weight} of ${model} holds ${what} at index ${bad.index}; expected finite values of magnitude at most ${MAX_WEIGHT_MAGNITUDE.toExponential(0)}. Nothing was written.`, {
    suggestions: ['For training: lower --lr and run again without --resume. For imported weights: re-export them from a working checkpoint.'],
  });
}
