// Conv2DBackpropFilter for wasm (absent from tfjs-backend-wasm 4.22): im2col built straight on the wasm heap,
// then one XNNPACK matmul. NHWC only; any stride, padding and dilation computeConv2DInfo accepts.
import * as tf from '@tensorflow/tfjs';
import { type WasmBackend, alias, allocF32, dispose, f32Offset, heapF32, run, unalias, type KernelArgs, type WindowAttrs } from '../wasm-internals.js';

interface FilterGradAttrs extends WindowAttrs {
  dataFormat?: 'NHWC' | 'NCHW';
  filterShape: [number, number, number, number];
  dilations?: number | [number, number];
}

/**
 * dW[kh,kw,ci,co] = sum over n,oh,ow of x[n, oh*s + kh*d - pad, ow*s + kw*d - pad, ci] * dy[n,oh,ow,co].
 * The pixel sum is cut into chunks of whole output rows only to bound the im2col buffer (64 MiB): one
 * XNNPACK operator per chunk costs its creation and packing, so smaller chunks measured slower, not faster.
 */
export function conv2dBackpropFilterWasm(args: KernelArgs): tf.TensorInfo {
  const { backend } = args;
  const { x, dy } = args.inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
  const attrs = args.attrs as unknown as FilterGradAttrs;
  if (attrs.dataFormat === 'NCHW') throw new Error("wasm Conv2DBackpropFilter supports dataFormat 'NHWC' only.");
  const info = tf.backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number],
    attrs.filterShape,
    attrs.strides,
    attrs.dilations ?? 1,
    attrs.pad,
    attrs.dimRoundingMode,
  );
  const taps = info.filterHeight * info.filterWidth * info.inChannels;
  const co = info.outChannels;
  const outRows = info.batchSize * info.outHeight;
  const rowsPerChunk = chunkRows(taps, info.outWidth, outRows);
  // Channel-major [Ci, N, H, W] once; skipped when Ci == 1 because the layout is already that.
  const xt = info.inChannels === 1 ? x : run(backend, 'Transpose', { x }, { perm: [3, 0, 1, 2] });
  const dw = allocF32(backend, attrs.filterShape, true);
  const dyBase = backend.dataIdMap.get(dy.dataId)!.memoryOffset;
  for (let r0 = 0; r0 < outRows; r0 += rowsPerChunk) {
    const rows = Math.min(rowsPerChunk, outRows - r0);
    const pixels = rows * info.outWidth;
    const a = im2colRows(backend, xt, info, r0, rows);
    const dyChunk = alias(backend, dyBase + r0 * info.outWidth * co * 4, [1, pixels, co]);
    const part = run(backend, 'BatchMatMul', { a, b: dyChunk }, { transposeA: false, transposeB: false });
    unalias(backend, dyChunk);
    const heap = heapF32(backend);
    const src = f32Offset(backend, part);
    const dst = f32Offset(backend, dw);
    for (let i = 0; i < taps * co; i++) heap[dst + i] += heap[src + i];
    dispose(backend, a, part);
  }
  if (xt !== x) dispose(backend, xt);
  return dw;
}

const DEFAULT_IM2COL_FLOATS = 16 * 1024 * 1024;
let im2colFloats = DEFAULT_IM2COL_FLOATS;

/** Tests shrink the im2col budget to exercise chunk boundaries on small tensors; no argument restores it. */
export function setIm2colBudget(floats = DEFAULT_IM2COL_FLOATS): void {
  im2colFloats = floats;
}

/** Output rows per chunk: as many as keep the im2col block within budget (64 MiB by default). */
export function chunkRows(taps: number, outWidth: number, outRows: number): number {
  return Math.max(1, Math.min(outRows, Math.floor(im2colFloats / (taps * outWidth))));
}

/**
 * The im2col block for output rows [r0, r0 + rows) (row = n * OH + oh): [1, KH*KW*Ci, rows*OW], one row per
 * filter tap and input channel, read from the channel-major xt so that at stride 1 each (tap row, output row)
 * is one contiguous run copied inside the heap.
 */
export function im2colRows(
  backend: WasmBackend,
  xt: tf.TensorInfo,
  info: tf.backend_util.Conv2DInfo,
  r0 = 0,
  rows = info.batchSize * info.outHeight,
): tf.TensorInfo {
  const { batchSize: n, inHeight: h, inWidth: w, inChannels: ci, outHeight: oh, outWidth: ow } = info;
  const { filterHeight: kh, filterWidth: kw, strideHeight: sh, strideWidth: sw } = info;
  const { dilationHeight: dh, dilationWidth: dw } = info;
  const padTop = info.padInfo.top;
  const padLeft = info.padInfo.left;
  const cols = rows * ow;
  const out = allocF32(backend, [1, kh * kw * ci, cols]);
  const heap = heapF32(backend);
  const src = f32Offset(backend, xt);
  const dst0 = f32Offset(backend, out);
  for (let fy = 0; fy < kh; fy++) {
    for (let fx = 0; fx < kw; fx++) {
      // Output columns whose input column lies inside the image, for this tap.
      const xOff = fx * dw - padLeft;
      const owLo = Math.min(ow, Math.max(0, Math.ceil(-xOff / sw)));
      const owHi = Math.max(owLo, Math.min(ow, Math.floor((w - 1 - xOff) / sw) + 1));
      for (let c = 0; c < ci; c++) {
        let dst = dst0 + ((fy * kw + fx) * ci + c) * cols;
        for (let r = r0; r < r0 + rows; r++, dst += ow) {
          const b = (r / oh) | 0;
          const iy = (r - b * oh) * sh + fy * dh - padTop;
          if (iy < 0 || iy >= h || owLo === owHi) {
            heap.fill(0, dst, dst + ow);
            continue;
          }
          if (owLo > 0) heap.fill(0, dst, dst + owLo);
          if (owHi < ow) heap.fill(0, dst + owHi, dst + ow);
          const row = src + ((c * n + b) * h + iy) * w + xOff;
          if (sw === 1) {
            heap.copyWithin(dst + owLo, row + owLo, row + owHi);
          } else {
            for (let xo = owLo; xo < owHi; xo++) heap[dst + xo] = heap[row + xo * sw];
          }
        }
      }
    }
  }
  return out;
}
