// ResizeBilinearGrad / ResizeNearestNeighborGrad for wasm with halfPixelCenters (PyTorch's align_corners=False):
// the stock 4.22 kernels ignore that flag. Exact adjoints of the forward formulas; other cases use the stock kernels.
import * as tf from '@tensorflow/tfjs';
import { f32Offset, stockKernel, type KernelArgs, zeroedOutput } from '../wasm-internals.js';

interface ResizeAttrs {
  alignCorners?: boolean;
  halfPixelCenters?: boolean;
}

function ratio(inSize: number, outSize: number, alignCorners: boolean): number {
  const corners = alignCorners && outSize > 1;
  return (corners ? inSize - 1 : inSize) / (corners ? outSize - 1 : outSize);
}

/** Both gradients' inputs: images [N,inH,inW,C] (only its shape is read) and dy [N,outH,outW,C]. */
function gradShapes(args: KernelArgs) {
  const { images, dy } = args.inputs as { images: tf.TensorInfo; dy: tf.TensorInfo };
  const [n, inH, inW, c] = images.shape as [number, number, number, number];
  const [, outH, outW] = dy.shape as [number, number, number, number];
  return { backend: args.backend, dy, n, inH, inW, c, outH, outW };
}

export function resizeBilinearGradWasm(args: KernelArgs): tf.TensorInfo {
  const attrs = (args.attrs ?? {}) as ResizeAttrs;
  if (!attrs.halfPixelCenters) return stockKernel(tf.ResizeBilinearGrad)(args) as tf.TensorInfo;
  const { backend, dy, n, inH, inW, c, outH, outW } = gradShapes(args);
  const rr = ratio(inH, outH, Boolean(attrs.alignCorners));
  const cr = ratio(inW, outW, Boolean(attrs.alignCorners));
  // Same taps and weights as the forward pass (including its clamping at the borders).
  const taps = (o: number, r: number, size: number): [number, number, number] => {
    const frac = r * (o + 0.5) - 0.5;
    const lo = Math.max(0, Math.floor(frac));
    return [lo, Math.min(size - 1, Math.ceil(frac)), frac - lo];
  };
  const rows = Array.from({ length: outH }, (_, r) => taps(r, rr, inH));
  const cols = Array.from({ length: outW }, (_, q) => taps(q, cr, inW));
  const { out: dx, heap, at: dxo } = zeroedOutput(backend, [n, inH, inW, c]);
  let g = f32Offset(backend, dy);
  for (let b = 0; b < n; b++) {
    const plane = dxo + b * inH * inW * c;
    for (let r = 0; r < outH; r++) {
      const [top, bottom, rf] = rows[r];
      for (let q = 0; q < outW; q++) {
        const [left, right, cf] = cols[q];
        const tl = plane + (top * inW + left) * c;
        const tr = plane + (top * inW + right) * c;
        const bl = plane + (bottom * inW + left) * c;
        const br = plane + (bottom * inW + right) * c;
        for (let d = 0; d < c; d++, g++) {
          const v = heap[g];
          heap[tl + d] += v * (1 - rf) * (1 - cf);
          heap[tr + d] += v * (1 - rf) * cf;
          heap[bl + d] += v * rf * (1 - cf);
          heap[br + d] += v * rf * cf;
        }
      }
    }
  }
  return dx;
}

export function resizeNearestNeighborGradWasm(args: KernelArgs): tf.TensorInfo {
  const attrs = (args.attrs ?? {}) as ResizeAttrs;
  if (!attrs.halfPixelCenters) return stockKernel(tf.ResizeNearestNeighborGrad)(args) as tf.TensorInfo;
  const { backend, dy, n, inH, inW, c, outH, outW } = gradShapes(args);
  const align = Boolean(attrs.alignCorners);
  const source = (o: number, r: number, size: number): number => {
    const frac = r * (o + 0.5);
    return Math.max(0, Math.min(size - 1, align ? Math.round(frac) : Math.floor(frac)));
  };
  const rr = ratio(inH, outH, align);
  const cr = ratio(inW, outW, align);
  const { out: dx, heap, at: dxo } = zeroedOutput(backend, [n, inH, inW, c]);
  let g = f32Offset(backend, dy);
  for (let b = 0; b < n; b++) {
    for (let r = 0; r < outH; r++) {
      const sr = source(r, rr, inH);
      for (let q = 0; q < outW; q++) {
        const base = dxo + ((b * inH + sr) * inW + source(q, cr, inW)) * c;
        for (let d = 0; d < c; d++, g++) heap[base + d] += heap[g];
      }
    }
  }
  return dx;
}
