// Fixed operator benchmarks on the active backend: matmul, 3x3 conv and its two gradients, in GFLOP/s.
// The caller chooses the backend (initRuntime); these only measure.
import * as tf from '@tensorflow/tfjs';
import { gflops, timeWithin } from './timing.js';

export const MATMUL_SIZE = 512;
/** x [4,64,64,32] * w [3,3,32,32], 'same': a mid-level U-Net convolution. */
export const CONV_X: [number, number, number, number] = [4, 64, 64, 32];
export const CONV_W: [number, number, number, number] = [3, 3, 32, 32];

const MATMUL_FLOPS = 2 * MATMUL_SIZE ** 3;
const CONV_FLOPS = 2 * CONV_X[0] * CONV_X[1] * CONV_X[2] * CONV_W[0] * CONV_W[1] * CONV_W[2] * CONV_W[3];

export interface OpRates {
  /** GFLOP/s from the median wall time. */
  gflops: number;
  /** GFLOP/s from the median process CPU time (the per-core rate; lower than wall-based with threads > 1). */
  gflopsCpu: number;
}

async function rate(flops: number, fn: () => tf.Tensor, budgetMs: number): Promise<OpRates> {
  const t = await timeWithin(async () => {
    const y = fn();
    // Backends may run lazily (webgpu queues work): reading forces completion. One value is enough on wasm and
    // cpu; on webgpu data() waits for the queue either way.
    await y.data();
    y.dispose();
  }, budgetMs, 1);
  return { gflops: gflops(flops, t.wallMs), gflopsCpu: gflops(flops, t.cpuMs) };
}

/** Seeded operands, created on the active backend; dispose with tf.dispose. */
function operands(seed: number): { a: tf.Tensor2D; b: tf.Tensor2D; x: tf.Tensor4D; w: tf.Tensor4D } {
  return {
    a: tf.randomNormal([MATMUL_SIZE, MATMUL_SIZE], 0, 1, 'float32', seed),
    b: tf.randomNormal([MATMUL_SIZE, MATMUL_SIZE], 0, 1, 'float32', seed + 1),
    x: tf.randomNormal(CONV_X, 0, 1, 'float32', seed + 2),
    w: tf.randomNormal(CONV_W, 0, 0.1, 'float32', seed + 3),
  };
}

/** The doctor's quick check: about `budgetMs` in all, half matmul, half conv forward. */
export async function microBench(budgetMs = 1000, seed = 42): Promise<{ matmul: OpRates; conv: OpRates }> {
  const o = operands(seed);
  try {
    return {
      matmul: await rate(MATMUL_FLOPS, () => tf.matMul(o.a, o.b), budgetMs / 2),
      conv: await rate(CONV_FLOPS, () => tf.conv2d(o.x, o.w, 1, 'same'), budgetMs / 2),
    };
  } finally {
    tf.dispose(o);
  }
}

export interface OpBench {
  matmul: OpRates;
  conv: OpRates;
  /** Gradients; absent where the backend is too slow to time them in a benchmark (the pure-JS cpu backend). */
  convBackpropFilter?: OpRates;
  convBackpropInput?: OpRates;
}

export async function opBench(budgetMs: number, withGradients: boolean, seed = 42): Promise<OpBench> {
  const o = operands(seed);
  try {
    const result: OpBench = {
      matmul: await rate(MATMUL_FLOPS, () => tf.matMul(o.a, o.b), budgetMs),
      conv: await rate(CONV_FLOPS, () => tf.conv2d(o.x, o.w, 1, 'same'), budgetMs),
    };
    if (withGradients) {
      const attrs = { strides: 1, pad: 'same', dataFormat: 'NHWC' };
      result.convBackpropFilter = await rate(
        CONV_FLOPS,
        () => tf.engine().runKernel(tf.Conv2DBackpropFilter, { x: o.x, dy: o.x }, { ...attrs, filterShape: CONV_W } as never) as tf.Tensor,
        budgetMs,
      );
      result.convBackpropInput = await rate(
        CONV_FLOPS,
        () => tf.engine().runKernel(tf.Conv2DBackpropInput, { dy: o.x, filter: o.w }, { ...attrs, inputShape: CONV_X } as never) as tf.Tensor,
        budgetMs,
      );
    }
    return result;
  } finally {
    tf.dispose(o);
  }
}
