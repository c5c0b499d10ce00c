// Conv2DBackpropFilter for wasm (absent from tfjs-backend-wasm 4.22): im2col built straight on the wasm heap,
// then one XNNPACK matmul. NHWC only; any stride, padding and dilation computeConv2DInfo accepts.
import * as tf from '@tensorflow/tfjs';
import {
  type WasmBackend,
  allocF32,
  dispose,
  f32Offset,
  heapF32,
  run,
  withShape,
} from '../wasm-internals.js';

interface FilterGradAttrs {
  strides: number | [number, number];
  pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
  dataFormat?: 'NHWC' | 'NCHW';
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
  filterShape: [number, number, number, number];
  dilations?: number | [number, number];
}

/** dW[kh,kw,ci,co] = sum over n,oh,ow of x[n, oh*s + kh*d - pad, ow*s + kw*d - pad, ci] * dy[n,oh,ow,co]. */
export function conv2dBackpropFilterWasm(args: {
  inputs: tf.NamedTensorInfoMap;
  backend: WasmBackend;
  attrs?: tf.NamedAttrMap;
}): tf.TensorInfo {
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
  const a = im2colRows(backend, x, info);
  const dyMat = withShape(dy, [1, info.batchSize * info.outHeight * info.outWidth, info.outChannels]);
  const dw = run(backend, 'BatchMatMul', { a, b: dyMat }, { transposeA: false, transposeB: false });
  dispose(backend, a);
  return withShape(dw, attrs.filterShape);
}

/**
 * The im2col matrix with one row per filter tap and input channel: [1, KH*KW*Ci, N*OH*OW]. Built from a
 * channel-major copy of x so that, at stride 1, each (row, n, oh) is one contiguous run copied inside the heap.
 */
export function im2colRows(backend: WasmBackend, x: tf.TensorInfo, info: tf.backend_util.Conv2DInfo): tf.TensorInfo {
  const { batchSize: n, inHeight: h, inWidth: w, inChannels: ci, outHeight: oh, outWidth: ow } = info;
  const { filterHeight: kh, filterWidth: kw, strideHeight: sh, strideWidth: sw } = info;
  const { dilationHeight: dh, dilationWidth: dw } = info;
  const padTop = info.padInfo.top;
  const padLeft = info.padInfo.left;
  const cols = n * oh * ow;
  const rows = kh * kw * ci;
  // Channel-major [Ci, N, H, W]; skipped when Ci == 1 because the layout is already that.
  const xt = ci === 1 ? x : run(backend, 'Transpose', { x }, { perm: [3, 0, 1, 2] });
  const out = allocF32(backend, [1, rows, cols]);
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
        for (let b = 0; b < n; b++) {
          const plane = src + (c * n + b) * h * w;
          for (let y = 0; y < oh; y++, dst += ow) {
            const iy = y * sh + fy * dh - padTop;
            if (iy < 0 || iy >= h || owLo === owHi) {
              heap.fill(0, dst, dst + ow);
              continue;
            }
            if (owLo > 0) heap.fill(0, dst, dst + owLo);
            if (owHi < ow) heap.fill(0, dst + owHi, dst + ow);
            const row = plane + iy * w + xOff;
            if (sw === 1) {
              heap.copyWithin(dst + owLo, row + owLo, row + owHi);
            } else {
              for (let xo = owLo; xo < owHi; xo++) heap[dst + xo] = heap[row + xo * sw];
            }
          }
        }
      }
    }
  }
  if (xt !== x) dispose(backend, xt);
  return out;
}
