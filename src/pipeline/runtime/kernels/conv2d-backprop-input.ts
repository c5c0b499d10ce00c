// Conv2DBackpropInput for wasm (input gradient of conv2d, and the forward pass of conv2dTranspose): an XNNPACK
// conv on the flipped filter, or one matmul when the stride equals the kernel. Falls back to the stock loop.
import * as tf from '@tensorflow/tfjs';
import {
  type WasmBackend,
  allocF32,
  dispose,
  f32Offset,
  heapF32,
  run,
  sizeOf,
  stockKernel,
  withShape,
  type KernelArgs,
  zeroedOutput,
  type WindowAttrs,
} from '../wasm-internals.js';

interface InputGradAttrs extends WindowAttrs {
  dataFormat?: 'NHWC' | 'NCHW';
  inputShape: [number, number, number, number];
}

/** dx = conv2d(zero-inserted dy, filter rotated 180 degrees with in/out channels swapped), stride 1. */
export function conv2dBackpropInputWasm(args: KernelArgs): tf.TensorInfo {
  const { backend } = args;
  const { dy, filter } = args.inputs as { dy: tf.TensorInfo; filter: tf.TensorInfo };
  const attrs = args.attrs as unknown as InputGradAttrs;
  if (attrs.dataFormat === 'NCHW') return stockResult(args);
  const info = tf.backend_util.computeConv2DInfo(
    attrs.inputShape,
    filter.shape as [number, number, number, number],
    attrs.strides,
    1,
    attrs.pad,
    attrs.dimRoundingMode,
  );
  if (isPatchScatter(info)) return patchScatter(backend, dy, filter, info);
  const pads = transposedPads(info);
  if (pads === undefined) return stockResult(args);
  const flipped = flipFilter(backend, filter, info.filterHeight, info.filterWidth, info.inChannels, info.outChannels);
  const spread = zeroInsert(backend, dy, info.strideHeight, info.strideWidth);
  const dx = run(
    backend,
    'Conv2D',
    { x: spread, filter: flipped },
    { strides: [1, 1], pad: pads, dilations: [1, 1], dataFormat: 'NHWC', dimRoundingMode: undefined as never },
  );
  dispose(backend, flipped);
  if (spread !== dy) dispose(backend, spread);
  return dx;
}

function stockResult(args: Parameters<typeof conv2dBackpropInputWasm>[0]): tf.TensorInfo {
  return stockKernel(tf.Conv2DBackpropInput)(args) as tf.TensorInfo;
}

/** Explicit paddings that make a stride-1 'valid' conv of the zero-inserted dy land exactly on inputShape. */
export function transposedPads(info: tf.backend_util.Conv2DInfo): tf.backend_util.ExplicitPadding | undefined {
  const spreadH = (info.outHeight - 1) * info.strideHeight + 1;
  const spreadW = (info.outWidth - 1) * info.strideWidth + 1;
  const top = info.effectiveFilterHeight - 1 - info.padInfo.top;
  const left = info.effectiveFilterWidth - 1 - info.padInfo.left;
  const bottom = info.inHeight - spreadH + info.padInfo.top;
  const right = info.inWidth - spreadW + info.padInfo.left;
  if (Math.min(top, left, bottom, right) < 0) return undefined;
  return [
    [0, 0],
    [top, bottom],
    [left, right],
    [0, 0],
  ];
}

/** [KH,KW,Ci,Co] -> [KH,KW,Co,Ci] rotated by 180 degrees in space; small, so written directly on the heap. */
export function flipFilter(
  backend: WasmBackend,
  filter: tf.TensorInfo,
  kh: number,
  kw: number,
  ci: number,
  co: number,
): tf.TensorInfo {
  const out = allocF32(backend, [kh, kw, co, ci]);
  const heap = heapF32(backend);
  const src = f32Offset(backend, filter);
  const dst = f32Offset(backend, out);
  for (let y = 0; y < kh; y++) {
    for (let x = 0; x < kw; x++) {
      const s = src + ((kh - 1 - y) * kw + (kw - 1 - x)) * ci * co;
      const d = dst + (y * kw + x) * co * ci;
      for (let i = 0; i < ci; i++) {
        for (let o = 0; o < co; o++) heap[d + o * ci + i] = heap[s + i * co + o];
      }
    }
  }
  return out;
}

/** dy [N,OH,OW,C] -> [N,(OH-1)*sh+1,(OW-1)*sw+1,C] with zeros between rows and columns; dy itself at stride 1. */
export function zeroInsert(backend: WasmBackend, dy: tf.TensorInfo, sh: number, sw: number): tf.TensorInfo {
  if (sh === 1 && sw === 1) return dy;
  const [n, oh, ow, c] = dy.shape;
  const hh = (oh - 1) * sh + 1;
  const ww = (ow - 1) * sw + 1;
  const { out, heap, at: dst0 } = zeroedOutput(backend, [n, hh, ww, c]);
  let src = f32Offset(backend, dy);
  for (let b = 0; b < n; b++) {
    for (let y = 0; y < oh; y++) {
      let dst = dst0 + ((b * hh + y * sh) * ww) * c;
      for (let x = 0; x < ow; x++, src += c, dst += sw * c) heap.copyWithin(dst, src, src + c);
    }
  }
  return out;
}

/** Stride equal to the kernel, no padding, exact tiling: every output pixel gets exactly one tap. */
function isPatchScatter(info: tf.backend_util.Conv2DInfo): boolean {
  const p = info.padInfo;
  return (
    info.strideHeight === info.filterHeight &&
    info.strideWidth === info.filterWidth &&
    p.top === 0 &&
    p.left === 0 &&
    p.bottom === 0 &&
    p.right === 0 &&
    info.inHeight === info.outHeight * info.strideHeight &&
    info.inWidth === info.outWidth * info.strideWidth
  );
}

/**
 * dy [N*OH*OW, Co] @ W^T [Co, KH*KW*Ci] gives each output patch; a 6-D transpose puts the patches in place.
 * This is the 2x2 stride-2 up-convolution of U-Nets, at a quarter of the zero-insertion FLOPs.
 */
function patchScatter(
  backend: WasmBackend,
  dy: tf.TensorInfo,
  filter: tf.TensorInfo,
  info: tf.backend_util.Conv2DInfo,
): tf.TensorInfo {
  const { batchSize: n, outHeight: oh, outWidth: ow, filterHeight: kh, filterWidth: kw } = info;
  const { inChannels: ci, outChannels: co } = info;
  const taps = kh * kw * ci;
  const wT = run(backend, 'Transpose', { x: withShape(filter, [taps, co]) }, { perm: [1, 0] });
  const patches = run(
    backend,
    'BatchMatMul',
    { a: withShape(dy, [1, n * oh * ow, co]), b: withShape(wT, [1, co, taps]) },
    { transposeA: false, transposeB: false },
  );
  dispose(backend, wT);
  const placed = run(backend, 'Transpose', { x: withShape(patches, [n, oh, ow, kh, kw, ci]) }, {
    perm: [0, 1, 3, 2, 4, 5],
  });
  dispose(backend, patches);
  if (sizeOf(placed.shape) !== sizeOf(info.inShape)) throw new Error('patchScatter: shape mismatch (bug).');
  return withShape(placed, info.inShape);
}
