// Registers madenet's wasm kernels with tfjs: the gradient kernels tfjs-backend-wasm 4.22 lacks and fast paths
// for stock kernels that fall to scalar loops. Kernels are global to the process; registering twice is a no-op.
import * as tf from '@tensorflow/tfjs';
import { assertPinnedWasmVersion, stockKernel, type KernelFn } from '../wasm-internals.js';
import { batchMatMulWasm } from './batch-matmul.js';
import { conv2dBackpropFilterWasm } from './conv2d-backprop-filter.js';
import { conv2dBackpropInputWasm } from './conv2d-backprop-input.js';
import { depthwiseBackpropFilterWasm, depthwiseBackpropInputWasm } from './depthwise-backprop.js';
import { addWasm, fusedBatchNormWasm, multiplyWasm, squaredDifferenceWasm, subWasm } from './channel-affine.js';
import { concatWasm, identityWasm, sliceWasm, splitVWasm, tileWasm } from './copy-kernels.js';
import { maxPoolGradWasm } from './max-pool-grad.js';
import { meanWasm, sumWasm } from './reduce.js';
import { resizeBilinearGradWasm, resizeNearestNeighborGradWasm } from './resize-grad.js';
export { registerCpuKernelFixes } from './cpu-fixes.js';

/** What madenet adds or replaces on the wasm backend, and why (also listed in runtime/README.md). */
export const WASM_KERNELS: readonly { name: string; kind: 'added' | 'replaced'; fn: KernelFn; why: string }[] = [
  {
    name: tf.Conv2DBackpropFilter,
    kind: 'added',
    fn: conv2dBackpropFilterWasm as KernelFn,
    why: 'missing in tfjs-backend-wasm: im2col on the heap + one XNNPACK matmul',
  },
  {
    name: tf.Conv2DBackpropInput,
    kind: 'replaced',
    fn: conv2dBackpropInputWasm as KernelFn,
    why: 'stock is a naive loop: XNNPACK conv on the flipped filter, or one matmul for stride == kernel',
  },
  {
    name: tf.DepthwiseConv2dNativeBackpropFilter,
    kind: 'added',
    fn: depthwiseBackpropFilterWasm as KernelFn,
    why: 'missing in tfjs-backend-wasm: per-tap dot products on the heap',
  },
  {
    name: tf.DepthwiseConv2dNativeBackpropInput,
    kind: 'added',
    fn: depthwiseBackpropInputWasm as KernelFn,
    why: 'missing in tfjs-backend-wasm: XNNPACK depthwise conv on the flipped filter',
  },
  {
    name: tf.BatchMatMul,
    kind: 'replaced',
    fn: batchMatMulWasm as KernelFn,
    why: 'stock uses XNNPACK only for batch 1 without transposes: explicit transposes, folded batches',
  },
  {
    name: tf.MaxPoolGrad,
    kind: 'replaced',
    fn: maxPoolGradWasm as KernelFn,
    why: 'stock routes gradients to wrong pixels when width != height',
  },
  {
    name: tf.ResizeBilinearGrad,
    kind: 'replaced',
    fn: resizeBilinearGradWasm as KernelFn,
    why: 'stock ignores halfPixelCenters (the stock kernel still runs without it)',
  },
  {
    name: tf.ResizeNearestNeighborGrad,
    kind: 'replaced',
    fn: resizeNearestNeighborGradWasm as KernelFn,
    why: 'stock ignores halfPixelCenters (the stock kernel still runs without it)',
  },
  {
    name: tf.Sum,
    kind: 'replaced',
    fn: sumWasm as KernelFn,
    why: 'stock transposes the whole tensor to reduce leading axes: one XNNPACK average pooling instead (10x)',
  },
  {
    name: tf.Mean,
    kind: 'replaced',
    fn: meanWasm as KernelFn,
    why: 'as Sum (per-channel means of NHWC tensors in batch norm)',
  },
  {
    name: tf.Tile,
    kind: 'replaced',
    fn: tileWasm as KernelFn,
    why: 'stock is an element loop (50 ms for 1M floats): block copies with doubling',
  },
  {
    name: tf.Concat,
    kind: 'replaced',
    fn: concatWasm as KernelFn,
    why: 'stock makes a subarray per row: direct copies (skip-connection concats of U-Nets)',
  },
  {
    name: tf.SplitV,
    kind: 'replaced',
    fn: splitVWasm as unknown as KernelFn,
    why: 'stock slices each part through a full copy: direct copies (the gradient of concat)',
  },
  {
    name: tf.Slice,
    kind: 'replaced',
    fn: sliceWasm as KernelFn,
    why: 'stock copies the whole input out of the heap before cutting the window',
  },
  {
    name: tf.Identity,
    kind: 'replaced',
    fn: identityWasm as KernelFn,
    why: 'stock copies the data of every clone (immutable tensors can share it, as on cpu)',
  },
  {
    name: tf.FusedBatchNorm,
    kind: 'replaced',
    fn: fusedBatchNormWasm as KernelFn,
    why: 'stock is a scalar loop (3.6 ms for 1M floats): two 1x1 XNNPACK depthwise passes (0.4 ms)',
  },
  ...(['Multiply', 'Add', 'Sub'] as const).map((name) => ({
    name,
    kind: 'replaced' as const,
    fn: { Multiply: multiplyWasm, Add: addWasm, Sub: subWasm }[name] as KernelFn,
    why: 'stock broadcasting of a per-channel [C] operand is a scalar loop: a 1x1 XNNPACK depthwise pass',
  })),
  {
    name: tf.SquaredDifference,
    kind: 'replaced',
    fn: squaredDifferenceWasm as KernelFn,
    why: 'as Sub, for (x - mean)^2 in batch-norm moments',
  },
];

let registered = false;

export function registerWasmKernels(): void {
  if (registered) return;
  assertPinnedWasmVersion();
  for (const k of WASM_KERNELS) {
    const existing = tf.getKernel(k.name, 'wasm');
    if (k.kind === 'replaced') {
      if (existing === undefined) throw new Error(`Expected a stock wasm '${k.name}' kernel to replace; found none.`);
      stockKernel(k.name); // captured before the override
      tf.unregisterKernel(k.name, 'wasm');
    } else if (existing !== undefined) {
      // A later tfjs added it natively: keep theirs, but this means the pin is stale.
      continue;
    }
    tf.registerKernel({
      kernelName: k.name,
      backendName: 'wasm',
      kernelFunc: k.fn as unknown as tf.KernelFunc,
      // The stock setup (cwrap of the C++ entry point) must still run for the stock function we fall back to.
      setupFunc: existing?.setupFunc,
    });
  }
  registered = true;
}

export function wasmKernelsRegistered(): boolean {
  return registered;
}
