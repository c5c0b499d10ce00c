// The score/map post-processing of the detectors as ONNX nodes, mirroring the tfjs functions they replace
// (mean filter, bilinear resize, scipy-style Gaussian smoothing, SimpleNet aggregation, GDE distance).
// Kernels come from the same shared code both engines use; values are [N,C,H,W] (NCHW) unless stated.
import { MadenetError } from '../core/errors.js';
import { boxWindow } from '../submodels/srad/model/filters.js';
import { gaussianKernel1d, scaledSigma } from '../../models/components/gaussian-smooth.js';
import { adaptivePoolMatrix } from '../../models/components/feature-extractor-aggregation.js';
import type { Val } from './layer-call.js';
import { attr, type OnnxGraph } from './onnx-graph.js';
import { val } from './onnx-ops.js';

/** A 4-D NCHW value with its static sizes (known from the model's fixed input size). */
export interface SizedVal extends Val {
  channels: number;
  height: number;
  width: number;
}

export function sized(v: Val, shape: readonly (number | null)[], what: string): SizedVal {
  const [, h, w, c] = shape;
  if (v.rank !== 4 || !v.channelsFirst || typeof h !== 'number' || typeof w !== 'number' || typeof c !== 'number') {
    throw new MadenetError('E_EXPORT', `Cannot export ${what}: expected a fixed-size feature map [N,H,W,C], got [${shape.join(',')}].`);
  }
  return { ...v, channels: c, height: h, width: w };
}

function withName(v: SizedVal, name: string, patch: Partial<SizedVal> = {}): SizedVal {
  return { ...v, ...patch, name };
}

/** Zero-padded 'same' convolution of every channel by outer(k, k), as two 1-D passes (srad/filters separableFilter). */
export function separableFilter(g: OnnxGraph, x: SizedVal, kernel1d: Float32Array, hint: string): SizedVal {
  if (x.channels !== 1) throw new MadenetError('E_EXPORT', `separableFilter: ${hint} has ${x.channels} channels; expected 1.`);
  const k = kernel1d.length;
  const r = (k - 1) / 2;
  const kv = g.constFloat(`${hint}/kv`, kernel1d, [1, 1, k, 1]);
  const kh = g.constFloat(`${hint}/kh`, kernel1d, [1, 1, 1, k]);
  const v = g.node('Conv', [x.name, kv], { kernel_shape: attr.ints([k, 1]), pads: attr.ints([r, 0, r, 0]) }, `${hint}/vertical`);
  return withName(x, g.node('Conv', [v, kh], { kernel_shape: attr.ints([1, k]), pads: attr.ints([0, r, 0, r]) }, hint));
}

/** SRAD's image score: max of the size x size mean-filtered map (zero border counted). [N,1,H,W] -> [N]. */
export function meanFilteredMax(g: OnnxGraph, map: SizedVal, size: number, hint: string): string {
  const filtered = separableFilter(g, map, boxWindow(size), `${hint}/mean_filter`);
  return g.node('ReduceMax', [filtered.name], { axes: attr.ints([1, 2, 3]), keepdims: attr.i(0) }, hint);
}

/** Max over everything but the batch: [N,...] -> [N]. */
export function maxPerImage(g: OnnxGraph, x: SizedVal, hint: string): string {
  return g.node('ReduceMax', [x.name], { axes: attr.ints([1, 2, 3]), keepdims: attr.i(0) }, hint);
}

/**
 * Bilinear resize to height x width. halfPixel: tf.image.resizeBilinear(x, size, false, true) (PyTorch
 * align_corners=False); otherwise TF's legacy sampling. The batch size stays dynamic (sizes from Shape).
 */
export function resizeBilinear(g: OnnxGraph, x: SizedVal, height: number, width: number, halfPixel: boolean, hint: string): SizedVal {
  if (x.height === height && x.width === width) return x;
  const nc = g.node('Shape', [x.name], { start: attr.i(0), end: attr.i(2) }, `${hint}/nc`);
  const sizes = g.node('Concat', [nc, g.constInt64([height, width])], { axis: attr.i(0) }, `${hint}/sizes`);
  const mode = halfPixel ? 'half_pixel' : 'asymmetric';
  const out = g.node('Resize', [x.name, '', '', sizes], { mode: attr.s('linear'), coordinate_transformation_mode: attr.s(mode) }, hint);
  return withName(x, out, { height, width });
}

/**
 * gaussian-smooth.ts gaussianSmooth: mirrored border (scipy 'reflect' = numpy/TF 'symmetric', which ONNX Pad
 * lacks, so the border is gathered by index), then vertical and horizontal 'valid' passes. [N,1,H,W].
 */
export function gaussianSmooth(g: OnnxGraph, x: SizedVal, sigma: number, hint: string): SizedVal {
  if (x.channels !== 1) throw new MadenetError('E_EXPORT', `gaussianSmooth: ${hint} has ${x.channels} channels; expected 1.`);
  if (!(sigma > 0)) return x;
  const taps = gaussianKernel1d(sigma, 4, Math.min(x.height, x.width));
  const r = (taps.length - 1) / 2;
  if (r === 0) return x;
  const symmetric = (n: number): number[] => {
    const idx: number[] = [];
    for (let i = -r; i < n + r; i++) idx.push(i < 0 ? -i - 1 : i >= n ? 2 * n - i - 1 : i);
    return idx;
  };
  const rows = g.node('Gather', [x.name, g.constInt64(symmetric(x.height))], { axis: attr.i(2) }, `${hint}/pad_rows`);
  const padded = g.node('Gather', [rows, g.constInt64(symmetric(x.width))], { axis: attr.i(3) }, `${hint}/pad_cols`);
  const k = taps.length;
  const v = g.node('Conv', [padded, g.constFloat(`${hint}/kv`, taps, [1, 1, k, 1])], { kernel_shape: attr.ints([k, 1]) }, `${hint}/vertical`);
  const h = g.node('Conv', [v, g.constFloat(`${hint}/kh`, taps, [1, 1, 1, k])], { kernel_shape: attr.ints([1, k]) }, hint);
  return withName(x, h);
}

/** gaussian-smooth.ts patchScoresToMap: [N,1,h,w] -> [N,1,S,S] (half-pixel bilinear, then scaled-sigma Gaussian). */
export function patchScoresToMap(g: OnnxGraph, scores: SizedVal, imageSize: number, sigma: number, hint: string): SizedVal {
  const up = resizeBilinear(g, scores, imageSize, imageSize, true, `${hint}/upsample`);
  return gaussianSmooth(g, up, scaledSigma(sigma, imageSize), `${hint}/smooth`);
}

/** [N,1,S,S] -> [N,S,S]. */
export function dropChannel(g: OnnxGraph, x: SizedVal, hint: string): string {
  return g.node('Squeeze', [x.name, g.constInt64([1])], {}, hint);
}

/**
 * feature-extractor-aggregation.ts aggregateFeatures: per map a p x p mean (stride 1, padded cells left out),
 * bilinear (half-pixel) resize to the largest map, channel concat, fixed adaptive-average projection to D (null:
 * none, PatchCore's patch features).
 */
export function aggregateFeatures(g: OnnxGraph, maps: readonly SizedVal[], patchSize: number, featureDim: number | null, hint: string): SizedVal {
  if (maps.length === 0) throw new MadenetError('E_EXPORT', 'aggregateFeatures: no feature maps.');
  const largest = maps.reduce((a, b) => (b.height * b.width > a.height * a.width ? b : a));
  const parts = maps.map((m, i) => {
    let local = m;
    if (patchSize > 1) {
      const p = (patchSize - 1) / 2;
      const attrs = { kernel_shape: attr.ints([patchSize, patchSize]), strides: attr.ints([1, 1]), pads: attr.ints([p, p, p, p]), count_include_pad: attr.i(0) };
      local = withName(m, g.node('AveragePool', [m.name], attrs, `${hint}/local${i}`));
    }
    return resizeBilinear(g, local, largest.height, largest.width, true, `${hint}/resize${i}`);
  });
  const channels = parts.reduce((n, p) => n + p.channels, 0);
  const joined = parts.length === 1 ? (parts[0] as SizedVal) : withName(largest, g.node('Concat', parts.map((p) => p.name), { axis: attr.i(1) }, `${hint}/concat`), { channels });
  if (featureDim === null || channels === featureDim) return joined;
  // adaptivePoolMatrix is [C,D] (x @ M); a 1x1 conv wants [D,C,1,1], i.e. its transpose.
  const m = adaptivePoolMatrix(channels, featureDim);
  const wt = new Float32Array(channels * featureDim);
  for (let c = 0; c < channels; c++) for (let d = 0; d < featureDim; d++) wt[d * channels + c] = m[c * featureDim + d] as number;
  const w = g.constFloat(`${hint}/projection`, wt, [featureDim, channels, 1, 1]);
  return withName(joined, g.node('Conv', [joined.name, w], { kernel_shape: attr.ints([1, 1]) }, `${hint}/project`), { channels: featureDim });
}

/**
 * lpd/gde.ts lpdGdeScores: Mahalanobis distance of each location's embedding under its Gaussian.
 * embeddings [N,D,h,w] -> [N,1,h,w]; mean [L,D] and covInv [L,D,D] row-major, L = h*w.
 */
export function gdeDistance(g: OnnxGraph, emb: SizedVal, mean: Float32Array, covInv: Float32Array, hint: string): SizedVal {
  const d = emb.channels;
  const l = emb.height * emb.width;
  if (mean.length !== l * d || covInv.length !== l * d * d) {
    throw new MadenetError('E_EXPORT', `GDE of ${mean.length / d} locations x ${d} dims does not fit embeddings [${emb.height},${emb.width},${d}].`);
  }
  const rows = g.node('Reshape', [emb.name, g.constInt64([0, d, l])], {}, `${hint}/rows`);
  const perLoc = g.node('Transpose', [rows], { perm: attr.ints([2, 0, 1]) }, `${hint}/per_location`); // [L,N,D]
  const diff = g.node('Sub', [perLoc, g.constFloat(`${hint}/mean`, mean, [l, 1, d])], {}, `${hint}/diff`);
  const proj = g.node('MatMul', [diff, g.constFloat(`${hint}/cov_inv`, covInv, [l, d, d])], {}, `${hint}/project`);
  const d2 = g.node('ReduceSum', [g.node('Mul', [proj, diff], {}, `${hint}/prod`), g.constInt64([2])], { keepdims: attr.i(0) }, `${hint}/d2`); // [L,N]
  const dist = g.node('Sqrt', [g.node('Relu', [d2], {}, `${hint}/relu`)], {}, `${hint}/sqrt`);
  const byImage = g.node('Transpose', [dist], { perm: attr.ints([1, 0]) }, `${hint}/by_image`); // [N,L]
  const out = g.node('Reshape', [byImage, g.constInt64([-1, 1, emb.height, emb.width])], {}, hint);
  return { ...val(out, 4, true), channels: 1, height: emb.height, width: emb.width };
}
