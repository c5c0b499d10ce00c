// DepthwiseConv2dNativeBackpropFilter/Input for wasm (absent from tfjs-backend-wasm 4.22). The input gradient
// is an XNNPACK depthwise conv on the flipped filter; the filter gradient sums x-window * dy per tap.
import * as tf from '@tensorflow/tfjs';
import { type WasmBackend, allocF32, dispose, f32Offset, heapF32, run, withShape, type KernelArgs, zeroedOutput, type WindowAttrs } from '../wasm-internals.js';
import { transposedPads, zeroInsert } from './conv2d-backprop-input.js';
import { sliceWasm } from './copy-kernels.js';
import { sumWasm } from './reduce.js';

interface DepthwiseGradAttrs extends WindowAttrs {
  dilations?: number | [number, number];
  filterShape?: [number, number, number, number];
  inputShape?: [number, number, number, number];
}

/** dW[kh,kw,c,m] = sum over n,oh,ow of x[n, oh*s + kh*d - pad, ow*s + kw*d - pad, c] * dy[n,oh,ow,c*M+m]. */
export function depthwiseBackpropFilterWasm(args: KernelArgs): tf.TensorInfo {
  const { backend } = args;
  const { x, dy } = args.inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
  const attrs = args.attrs as unknown as DepthwiseGradAttrs;
  const filterShape = attrs.filterShape as [number, number, number, number];
  const info = tf.backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number],
    filterShape,
    attrs.strides,
    attrs.dilations ?? 1,
    attrs.pad,
    attrs.dimRoundingMode,
    true,
  );
  const { batchSize: n, inHeight: h, inWidth: w, inChannels: c, outHeight: oh, outWidth: ow } = info;
  const { filterHeight: kh, filterWidth: kw, strideHeight: sh, strideWidth: sw } = info;
  const m = info.outChannels / c;
  if (m === 1 && x.dtype === 'float32') return depthwiseFilterByTaps(backend, x, dy, info);
  const out = allocF32(backend, filterShape, true);
  const heap = heapF32(backend);
  const xo = f32Offset(backend, x);
  const dyo = f32Offset(backend, dy);
  const wo = f32Offset(backend, out);
  // A float64 accumulator per filter element: sums run over up to N*OH*OW terms.
  const acc = new Float64Array(c * m);
  for (let fy = 0; fy < kh; fy++) {
    for (let fx = 0; fx < kw; fx++) {
      acc.fill(0);
      const offY = fy * info.dilationHeight - info.padInfo.top;
      const offX = fx * info.dilationWidth - info.padInfo.left;
      for (let b = 0; b < n; b++) {
        for (let y = 0; y < oh; y++) {
          const iy = y * sh + offY;
          if (iy < 0 || iy >= h) continue;
          for (let xq = 0; xq < ow; xq++) {
            const ix = xq * sw + offX;
            if (ix < 0 || ix >= w) continue;
            const xp = xo + ((b * h + iy) * w + ix) * c;
            const dp = dyo + ((b * oh + y) * ow + xq) * c * m;
            if (m === 1) {
              for (let k = 0; k < c; k++) acc[k] += heap[xp + k] * heap[dp + k];
            } else {
              for (let k = 0; k < c; k++) {
                const xv = heap[xp + k];
                for (let j = 0; j < m; j++) acc[k * m + j] += xv * heap[dp + k * m + j];
              }
            }
          }
        }
      }
      const base = wo + (fy * kw + fx) * c * m;
      for (let k = 0; k < c * m; k++) heap[base + k] = acc[k];
    }
  }
  return out;
}

/**
 * Channel multiplier 1: per tap, the x window times dy (same shape, SIMD), summed over N,OH,OW by the fast
 * leading-axes Sum. Strided windows come from stride-phase images (x[n, r*s + p - pad, ...]) built once, so
 * every tap is a plain stride-1 slice (the stock StridedSlice measured 40x slower than this).
 */
function depthwiseFilterByTaps(
  backend: WasmBackend,
  x: tf.TensorInfo,
  dy: tf.TensorInfo,
  info: tf.backend_util.Conv2DInfo,
): tf.TensorInfo {
  const { batchSize: n, inChannels: c, outHeight: oh, outWidth: ow } = info;
  const { filterHeight: kh, filterWidth: kw, strideHeight: sh, strideWidth: sw } = info;
  // Along each axis, tap f reads phase (f mod s) at offset floor(f / s); with stride 1, offset f * dilation.
  const tapY = (f: number): [number, number] => (sh > 1 ? [f % sh, Math.floor(f / sh)] : [0, f * info.dilationHeight]);
  const tapX = (f: number): [number, number] => (sw > 1 ? [f % sw, Math.floor(f / sw)] : [0, f * info.dilationWidth]);
  const ph = tapY(kh - 1)[1] + oh;
  const pw = tapX(kw - 1)[1] + ow;
  const phases = new Map<string, tf.TensorInfo>();
  const phase = (py: number, px: number): tf.TensorInfo => {
    const key = `${py},${px}`;
    let t = phases.get(key);
    if (t === undefined) {
      t = phaseImage(backend, x, info, py, px, ph, pw);
      phases.set(key, t);
    }
    return t;
  };
  const out = allocF32(backend, [kh, kw, c, 1]);
  for (let fy = 0; fy < kh; fy++) {
    for (let fx = 0; fx < kw; fx++) {
      const [py, y0] = tapY(fy);
      const [px, x0] = tapX(fx);
      const win = sliceWasm({ inputs: { x: phase(py, px) }, backend, attrs: { begin: [0, y0, x0, 0], size: [n, oh, ow, c] } });
      const prod = run(backend, tf.Multiply, { a: win, b: dy });
      const sum = sumWasm({ inputs: { x: prod }, backend, attrs: { axis: [0, 1, 2], keepDims: false } });
      const heap = heapF32(backend);
      const src = f32Offset(backend, sum);
      heap.copyWithin(f32Offset(backend, out) + (fy * kw + fx) * c, src, src + c);
      dispose(backend, win, prod, sum);
    }
  }
  for (const t of phases.values()) dispose(backend, t);
  return out;
}

/** [N, ph, pw, C] with element (r, q) = x[n, r*sh + py - padTop, q*sw + px - padLeft] (zero outside x). */
function phaseImage(
  backend: WasmBackend,
  x: tf.TensorInfo,
  info: tf.backend_util.Conv2DInfo,
  py: number,
  px: number,
  ph: number,
  pw: number,
): tf.TensorInfo {
  const { batchSize: n, inHeight: h, inWidth: w, inChannels: c, strideHeight: sh, strideWidth: sw } = info;
  const { out, heap, at: oo } = zeroedOutput(backend, [n, ph, pw, c]);
  const xo = f32Offset(backend, x);
  for (let b = 0; b < n; b++) {
    for (let r = 0; r < ph; r++) {
      const iy = r * sh + py - info.padInfo.top;
      if (iy < 0 || iy >= h) continue;
      const dstRow = oo + ((b * ph + r) * pw) * c;
      const srcRow = xo + ((b * h + iy) * w) * c;
      if (sw === 1) {
        // One run for the whole row.
        const q0 = Math.max(0, info.padInfo.left - px);
        const q1 = Math.min(pw, w + info.padInfo.left - px);
        if (q1 > q0) heap.copyWithin(dstRow + q0 * c, srcRow + (q0 + px - info.padInfo.left) * c, srcRow + (q1 + px - info.padInfo.left) * c);
        continue;
      }
      for (let q = 0; q < pw; q++) {
        const ix = q * sw + px - info.padInfo.left;
        if (ix >= 0 && ix < w) heap.copyWithin(dstRow + q * c, srcRow + ix * c, srcRow + (ix + 1) * c);
      }
    }
  }
  return out;
}

/** dx = depthwise conv of the zero-inserted dy with the spatially flipped filter (per output channel). */
export function depthwiseBackpropInputWasm(args: KernelArgs): tf.TensorInfo {
  const { backend } = args;
  const { dy, filter } = args.inputs as { dy: tf.TensorInfo; filter: tf.TensorInfo };
  const attrs = args.attrs as unknown as DepthwiseGradAttrs;
  const inputShape = attrs.inputShape as [number, number, number, number];
  const fShape = filter.shape as [number, number, number, number];
  const info = tf.backend_util.computeConv2DInfo(
    inputShape,
    fShape,
    attrs.strides,
    attrs.dilations ?? 1,
    attrs.pad,
    attrs.dimRoundingMode,
    true,
  );
  const [kh, kw, c, m] = fShape;
  const pads = transposedPads(info);
  if (pads === undefined) return depthwiseInputDirect(backend, dy, filter, info);
  // Each of the C*M dy channels is convolved on its own with its flipped tap column: filter [KH,KW,C*M,1].
  const flipped = allocF32(backend, [kh, kw, c * m, 1]);
  const heap = heapF32(backend);
  const src = f32Offset(backend, filter);
  const dst = f32Offset(backend, flipped);
  const cm = c * m;
  for (let y = 0; y < kh; y++) {
    for (let x = 0; x < kw; x++) {
      heap.copyWithin(dst + (y * kw + x) * cm, src + ((kh - 1 - y) * kw + (kw - 1 - x)) * cm, src + ((kh - 1 - y) * kw + (kw - 1 - x) + 1) * cm);
    }
  }
  const spread = zeroInsert(backend, dy, info.strideHeight, info.strideWidth);
  const perChannel = run(
    backend,
    'DepthwiseConv2dNative',
    { x: spread, filter: flipped },
    { strides: [1, 1], pad: pads, dilations: [info.dilationHeight, info.dilationWidth] },
  );
  dispose(backend, flipped);
  if (spread !== dy) dispose(backend, spread);
  if (m === 1) return perChannel;
  const [n, h, w] = inputShape;
  const summed = run(backend, 'Sum', { x: withShape(perChannel, [n, h, w, c, m]) }, { axis: [4], keepDims: false });
  dispose(backend, perChannel);
  return summed;
}

/** Reference loop for paddings that the flipped-filter form cannot express (explicit pads beyond the kernel). */
function depthwiseInputDirect(
  backend: WasmBackend,
  dy: tf.TensorInfo,
  filter: tf.TensorInfo,
  info: tf.backend_util.Conv2DInfo,
): tf.TensorInfo {
  const { batchSize: n, inHeight: h, inWidth: w, inChannels: c, outHeight: oh, outWidth: ow } = info;
  const { filterHeight: kh, filterWidth: kw } = info;
  const m = info.outChannels / c;
  const out = allocF32(backend, info.inShape, true);
  const heap = heapF32(backend);
  const dxo = f32Offset(backend, out);
  const dyo = f32Offset(backend, dy);
  const fo = f32Offset(backend, filter);
  for (let b = 0; b < n; b++) {
    for (let y = 0; y < oh; y++) {
      for (let xq = 0; xq < ow; xq++) {
        const dp = dyo + ((b * oh + y) * ow + xq) * c * m;
        for (let fy = 0; fy < kh; fy++) {
          const iy = y * info.strideHeight + fy * info.dilationHeight - info.padInfo.top;
          if (iy < 0 || iy >= h) continue;
          for (let fx = 0; fx < kw; fx++) {
            const ix = xq * info.strideWidth + fx * info.dilationWidth - info.padInfo.left;
            if (ix < 0 || ix >= w) continue;
            const xp = dxo + ((b * h + iy) * w + ix) * c;
            const fp = fo + (fy * kw + fx) * c * m;
            for (let k = 0; k < c; k++) {
              let s = 0;
              for (let j = 0; j < m; j++) s += heap[dp + k * m + j] * heap[fp + k * m + j];
              heap[xp + k] += s;
            }
          }
        }
      }
    }
  }
  return out;
}
