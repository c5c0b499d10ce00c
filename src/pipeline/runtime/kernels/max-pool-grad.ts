// MaxPoolGrad for wasm: the stock 4.22 kernel routes gradients to wrong pixels whenever width != height.
// Each dy value goes to the first maximum of its window (row-major, as the cpu backend does); padding is skipped.
import * as tf from '@tensorflow/tfjs';
import { f32Offset, type KernelArgs, zeroedOutput, type WindowAttrs } from '../wasm-internals.js';

interface PoolGradAttrs extends WindowAttrs {
  filterSize: number | [number, number];
}

export function maxPoolGradWasm(args: KernelArgs): tf.TensorInfo {
  const { backend } = args;
  const { dy, input } = args.inputs as { dy: tf.TensorInfo; input: tf.TensorInfo };
  const attrs = args.attrs as unknown as PoolGradAttrs;
  const info = tf.backend_util.computePool2DInfo(
    input.shape as [number, number, number, number],
    attrs.filterSize,
    attrs.strides,
    1,
    attrs.pad,
    attrs.dimRoundingMode,
  );
  const { batchSize: n, inHeight: h, inWidth: w, inChannels: c, outHeight: oh, outWidth: ow } = info;
  const { strideHeight: sh, strideWidth: sw, effectiveFilterHeight: fh, effectiveFilterWidth: fw } = info;
  const { dilationHeight: dh, dilationWidth: dw } = info;
  const { out: dx, heap, at: dxo } = zeroedOutput(backend, [n, h, w, c]);
  const xo = f32Offset(backend, input);
  const dyo = f32Offset(backend, dy);
  let g = dyo;
  for (let b = 0; b < n; b++) {
    for (let y = 0; y < oh; y++) {
      const y0 = y * sh - info.padInfo.top;
      for (let x = 0; x < ow; x++) {
        const x0 = x * sw - info.padInfo.left;
        for (let ch = 0; ch < c; ch++, g++) {
          let best = -Infinity;
          let at = -1;
          for (let fy = 0; fy < fh; fy += dh) {
            const iy = y0 + fy;
            if (iy < 0 || iy >= h) continue;
            const row = xo + ((b * h + iy) * w) * c + ch;
            for (let fx = 0; fx < fw; fx += dw) {
              const ix = x0 + fx;
              if (ix < 0 || ix >= w) continue;
              const v = heap[row + ix * c];
              if (v > best || at < 0) {
                best = v;
                at = (iy * w + ix) * c + ch;
              }
            }
          }
          if (at >= 0) heap[dxo + b * h * w * c + at] += heap[g];
        }
      }
    }
  }
  return dx;
}
