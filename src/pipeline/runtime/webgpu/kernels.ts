// Kernels madenet replaces on tfjs-backend-webgpu 4.22 because the stock ones are wrong. Composed from the
// backend's own kernel functions, so everything stays on the GPU. Checked against the cpu backend by
// test/gpu/webgpu-kernels.test.ts (every op a training step of the project's nets touches).
import * as tf from '@tensorflow/tfjs';

type KernelFn = (args: { inputs: tf.NamedTensorInfoMap; backend: tf.KernelBackend; attrs?: tf.NamedAttrMap }) => tf.TensorInfo;

interface ResizeAttrs {
  alignCorners?: boolean;
  halfPixelCenters?: boolean;
}

let stockNearestGrad: KernelFn | undefined;
let stockAddN: KernelFn | undefined;

function webgpuKernel(name: string): KernelFn {
  const k = tf.getKernel(name, 'webgpu');
  if (k === undefined) throw new Error(`tfjs-backend-webgpu has no ${name} kernel`);
  return k.kernelFunc as unknown as KernelFn;
}

/**
 * The source row (or column) each output samples, as the forward ResizeNearestNeighbor computes it with
 * halfPixelCenters (tfjs refuses it together with alignCorners): floor(in/out x (o + 0.5)), clamped.
 */
export function nearestSources(inSize: number, outSize: number): number[] {
  const scale = inSize / outSize;
  return Array.from({ length: outSize }, (_, o) => Math.max(0, Math.min(inSize - 1, Math.floor(scale * (o + 0.5)))));
}

/** [inSize, outSize] 0/1 matrix: entry (i, o) is 1 when output o samples input i. */
function selection(inSize: number, outSize: number): Float32Array {
  const m = new Float32Array(inSize * outSize);
  nearestSources(inSize, outSize).forEach((i, o) => {
    m[i * outSize + o] = 1;
  });
  return m;
}

/**
 * ResizeNearestNeighborGrad with halfPixelCenters: the stock webgpu kernel ignores the flag (gradients land
 * on the wrong pixels, e.g. 4x4 -> 2x2). The adjoint is separable: dx = Sh . dy . Sw^T, with Sh [inH,outH] and
 * Sw [inW,outW] the selection matrices, as two broadcast batched matmuls. Without the flag: stock.
 */
function resizeNearestNeighborGradWebgpu(args: Parameters<KernelFn>[0]): tf.TensorInfo {
  const attrs = (args.attrs ?? {}) as ResizeAttrs;
  if (!attrs.halfPixelCenters) return (stockNearestGrad as KernelFn)(args);
  const { backend } = args;
  const { images, dy } = args.inputs as { images: tf.TensorInfo; dy: tf.TensorInfo };
  const [n, inH, inW, c] = images.shape as [number, number, number, number];
  const [, outH, outW] = dy.shape as [number, number, number, number];
  const b = backend as unknown as { makeTensorInfo(shape: number[], dtype: string, values: Float32Array): tf.TensorInfo; disposeData(id: object): void };
  const matmul = webgpuKernel(tf.BatchMatMul);
  const reshape = webgpuKernel(tf.Reshape);
  const temps: tf.TensorInfo[] = [];
  const keep = (t: tf.TensorInfo): tf.TensorInfo => {
    temps.push(t);
    return t;
  };
  try {
    const sh = keep(b.makeTensorInfo([1, inH, outH], 'float32', selection(inH, outH)));
    const sw = keep(b.makeTensorInfo([1, inW, outW], 'float32', selection(inW, outW)));
    // Rows: [1,inH,outH] x [n,outH,outW*c] -> [n,inH,outW*c].
    const dy3 = keep(reshape({ inputs: { x: dy }, backend, attrs: { shape: [n, outH, outW * c] } }));
    const rows = keep(matmul({ inputs: { a: sh, b: dy3 }, backend, attrs: { transposeA: false, transposeB: false } }));
    // Columns: [1,inW,outW] x [n*inH,outW,c] -> [n*inH,inW,c].
    const rows3 = keep(reshape({ inputs: { x: rows }, backend, attrs: { shape: [n * inH, outW, c] } }));
    const cols = keep(matmul({ inputs: { a: sw, b: rows3 }, backend, attrs: { transposeA: false, transposeB: false } }));
    return reshape({ inputs: { x: cols }, backend, attrs: { shape: [n, inH, inW, c] } });
  } finally {
    for (const t of temps) b.disposeData(t.dataId);
  }
}

/**
 * AddN over more tensors than one shader may bind: the stock kernel binds every input as a storage buffer in
 * one program, and WebGPU devices allow maxStorageBuffersPerShaderStage (16 on lavapipe, often 8-32 on GPUs)
 * including the output. Summing all 230 weights of a network (the divergence check) failed with a validation
 * error. Sums groups that fit, then the partial sums, in the same order of terms within each group.
 */
function addNWebgpu(args: Parameters<KernelFn>[0]): tf.TensorInfo {
  const { backend } = args;
  const list = args.inputs as unknown as tf.TensorInfo[];
  const limits = (backend as unknown as { device: { limits: { maxStorageBuffersPerShaderStage: number } } }).device.limits;
  const most = Math.max(2, limits.maxStorageBuffersPerShaderStage - 1);
  if (list.length <= most) return (stockAddN as KernelFn)(args);
  const b = backend as unknown as { disposeData(id: object): void };
  const partials: tf.TensorInfo[] = [];
  try {
    for (let i = 0; i < list.length; i += most) {
      partials.push((stockAddN as KernelFn)({ inputs: list.slice(i, i + most) as unknown as tf.NamedTensorInfoMap, backend }));
    }
    return addNWebgpu({ inputs: partials as unknown as tf.NamedTensorInfoMap, backend });
  } finally {
    for (const t of partials) b.disposeData(t.dataId);
  }
}

/** What madenet replaces on webgpu, and why (listed in runtime/README.md). */
export const WEBGPU_KERNELS: readonly { name: string; why: string }[] = [
  { name: tf.ResizeNearestNeighborGrad, why: 'stock ignores halfPixelCenters (gradients on the wrong pixels); two selection-matrix matmuls' },
  { name: tf.AddN, why: 'stock binds every input in one shader, over the device limit past ~15 inputs; summed in groups' },
];

let registered = false;

/** Registers the replacements (idempotent); call once tfjs-backend-webgpu's own kernels are registered. */
export function registerWebgpuKernels(): void {
  if (registered) return;
  stockNearestGrad = webgpuKernel(tf.ResizeNearestNeighborGrad);
  tf.unregisterKernel(tf.ResizeNearestNeighborGrad, 'webgpu');
  tf.registerKernel({ kernelName: tf.ResizeNearestNeighborGrad, backendName: 'webgpu', kernelFunc: resizeNearestNeighborGradWebgpu as unknown as tf.KernelFunc });
  stockAddN = webgpuKernel(tf.AddN);
  tf.unregisterKernel(tf.AddN, 'webgpu');
  tf.registerKernel({ kernelName: tf.AddN, backendName: 'webgpu', kernelFunc: addNWebgpu as unknown as tf.KernelFunc });
  registered = true;
}
