// Corrections to two stock tfjs-backend-cpu 4.22 gradient kernels, so that cpu trains correctly and stays a
// trustworthy reference for the wasm kernels. Both bugs show only on non-square images.
import * as tf from '@tensorflow/tfjs';

interface CpuBackend {
  data: { get(dataId: object): { values: Float32Array } };
  makeTensorInfo(shape: number[], dtype: tf.DataType, values: Float32Array): tf.TensorInfo;
}

/** Stock returns its correctly laid-out [N,H,W,C] values under the shape [N,W,H,C]. */
function resizeBilinearGradShapeFix(stockFn: tf.KernelFunc): tf.KernelFunc {
  return (args) => {
    const out = stockFn(args) as tf.TensorInfo;
    const images = (args.inputs as { images: tf.TensorInfo }).images;
    return { dataId: out.dataId, shape: [...images.shape], dtype: out.dtype };
  };
}

/**
 * Stock mixes up rows and columns when the resize is not square. This is the exact adjoint of the cpu
 * ResizeNearestNeighbor forward: each dy pixel adds into the source pixel the forward pass read.
 */
function resizeNearestNeighborGradCpu(args: { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs?: tf.NamedAttrMap }): tf.TensorInfo {
  const backend = args.backend as CpuBackend;
  const { images, dy } = args.inputs as { images: tf.TensorInfo; dy: tf.TensorInfo };
  const { alignCorners, halfPixelCenters } = (args.attrs ?? {}) as { alignCorners?: boolean; halfPixelCenters?: boolean };
  const [batch, inH, inW, ch] = images.shape;
  const [, outH, outW] = dy.shape;
  const dyv = backend.data.get(dy.dataId).values;
  const dx = new Float32Array(batch * inH * inW * ch);
  const source = (o: number, inSize: number, outSize: number): number => {
    const corners = Boolean(alignCorners) && outSize > 1;
    const ratio = (corners ? inSize - 1 : inSize) / (corners ? outSize - 1 : outSize);
    const frac = halfPixelCenters ? ratio * (o + 0.5) : ratio * o;
    const s = Math.min(inSize - 1, alignCorners ? Math.round(frac) : Math.floor(frac));
    return halfPixelCenters ? Math.max(0, s) : s;
  };
  const srcRow = Array.from({ length: outH }, (_, r) => source(r, inH, outH));
  const srcCol = Array.from({ length: outW }, (_, c) => source(c, inW, outW));
  let o = 0;
  for (let b = 0; b < batch; b++) {
    for (let r = 0; r < outH; r++) {
      for (let c = 0; c < outW; c++) {
        const base = ((b * inH + srcRow[r]) * inW + srcCol[c]) * ch;
        for (let d = 0; d < ch; d++) dx[base + d] += dyv[o++];
      }
    }
  }
  return backend.makeTensorInfo([batch, inH, inW, ch], 'float32', dx);
}

let fixed = false;

export function registerCpuKernelFixes(): void {
  if (fixed) return;
  const bilinear = tf.getKernel(tf.ResizeBilinearGrad, 'cpu');
  if (bilinear !== undefined) {
    tf.unregisterKernel(tf.ResizeBilinearGrad, 'cpu');
    tf.registerKernel({ ...bilinear, kernelFunc: resizeBilinearGradShapeFix(bilinear.kernelFunc) });
  }
  if (tf.getKernel(tf.ResizeNearestNeighborGrad, 'cpu') !== undefined) {
    tf.unregisterKernel(tf.ResizeNearestNeighborGrad, 'cpu');
    tf.registerKernel({
      kernelName: tf.ResizeNearestNeighborGrad,
      backendName: 'cpu',
      kernelFunc: resizeNearestNeighborGradCpu as unknown as tf.KernelFunc,
    });
  }
  fixed = true;
}
