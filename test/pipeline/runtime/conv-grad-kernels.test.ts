import * as tf from '@tensorflow/tfjs';
import { Rng } from '../../../src/pipeline/core/random.js';
import { initRuntime } from '../../../src/pipeline/runtime/backend.js';
import { setIm2colBudget } from '../../../src/pipeline/runtime/kernels/conv2d-backprop-filter.js';
import { expectWasmMatchesCpu, onBackend, randomArray, relError, size, wasmDataIds } from './kernel-check.js';

type Pad = 'same' | 'valid' | tf.backend_util.ExplicitPadding;
interface ConvCase {
  x: [number, number, number, number];
  f: [number, number, number, number];
  s: number | [number, number];
  pad: Pad;
}

// Odd sizes, stride 2, non-square strides, 1x1, patch-shaped (stride == kernel) and explicit padding.
const CONV_CASES: ConvCase[] = [
  { x: [2, 7, 9, 3], f: [3, 3, 3, 5], s: 1, pad: 'same' },
  { x: [1, 11, 10, 4], f: [3, 3, 4, 6], s: 2, pad: 'same' },
  { x: [2, 9, 9, 3], f: [5, 5, 3, 2], s: 2, pad: 'valid' },
  { x: [1, 8, 8, 4], f: [1, 1, 4, 8], s: 1, pad: 'valid' },
  { x: [3, 13, 7, 2], f: [3, 2, 2, 3], s: [2, 1], pad: 'same' },
  { x: [2, 8, 6, 5], f: [2, 2, 5, 3], s: 2, pad: 'valid' },
  { x: [1, 10, 10, 3], f: [3, 3, 3, 4], s: 2, pad: 'valid' },
  { x: [2, 6, 5, 2], f: [3, 3, 2, 3], s: 1, pad: [[0, 0], [2, 1], [0, 2], [0, 0]] },
];

function label(c: ConvCase): string {
  return `x${c.x.join('x')} f${c.f.join('x')} s${String(c.s)} ${typeof c.pad === 'string' ? c.pad : 'explicit'}`;
}

function outShape(c: ConvCase, depthwise = false): number[] {
  return tf.backend_util.computeConv2DInfo(c.x, c.f, c.s, 1, c.pad, undefined, depthwise).outShape;
}

/** x and dy of case `c` drawn from Rng(seed), and the Conv2DBackpropFilter kernel on them (the op under test). */
function filterGradient(c: ConvCase, seed: number): { dyShape: number[]; run: () => tf.Tensor } {
  const rng = new Rng(seed);
  const xv = randomArray(rng, size(c.x));
  const dyShape = outShape(c);
  const dyv = randomArray(rng, size(dyShape));
  const attrs = { strides: c.s, pad: c.pad, dataFormat: 'NHWC', filterShape: c.f } as unknown as tf.NamedAttrMap;
  return { dyShape, run: () => tf.engine().runKernel(tf.Conv2DBackpropFilter, { x: tf.tensor4d(xv, c.x), dy: tf.tensor(dyv, dyShape) }, attrs) as tf.Tensor };
}

describe('wasm convolution gradient kernels match the cpu backend (1e-4 relative)', () => {
  beforeAll(async () => {
    await initRuntime({ backend: 'wasm', threads: 1 });
  });

  it.each(CONV_CASES.map((c) => [label(c), c] as const))('Conv2DBackpropFilter %s', async (_, c) => {
    const { run } = filterGradient(c, 11);
    const tensorsBefore = tf.memory().numTensors;
    const idsBefore = wasmDataIds();
    await expectWasmMatchesCpu(run);
    expect(tf.memory().numTensors).toBe(tensorsBefore);
    await initRuntime({ backend: 'wasm', threads: 1 });
    expect(wasmDataIds()).toBe(idsBefore);
  });

  it.each(CONV_CASES.map((c) => [label(c), c] as const))('Conv2DBackpropFilter in chunks of a few output rows %s', async (_, c) => {
    const { dyShape, run } = filterGradient(c, 15);
    // About 2.5 output rows per chunk: chunk edges fall inside images and between them.
    setIm2colBudget(c.f[0] * c.f[1] * c.f[2] * dyShape[2] * 2.5);
    try {
      await expectWasmMatchesCpu(run);
    } finally {
      setIm2colBudget();
    }
  });

  it.each(CONV_CASES.map((c) => [label(c), c] as const))('Conv2DBackpropInput %s', async (_, c) => {
    const rng = new Rng(12);
    const fv = randomArray(rng, size(c.f));
    const dyShape = outShape(c);
    const dyv = randomArray(rng, size(dyShape));
    const idsBefore = wasmDataIds();
    await expectWasmMatchesCpu(() =>
      tf.engine().runKernel(tf.Conv2DBackpropInput, { dy: tf.tensor(dyv, dyShape), filter: tf.tensor4d(fv, c.f) }, {
        strides: c.s,
        pad: c.pad,
        dataFormat: 'NHWC',
        inputShape: c.x,
      } as unknown as tf.NamedAttrMap) as tf.Tensor,
    );
    await initRuntime({ backend: 'wasm', threads: 1 });
    expect(wasmDataIds()).toBe(idsBefore);
  });

  it('conv2dTranspose forward (2x2 stride 2 up-convolution and 3x3 stride 2, odd output) matches', async () => {
    const rng = new Rng(13);
    const xv = randomArray(rng, 2 * 5 * 7 * 6);
    const f2 = randomArray(rng, 2 * 2 * 4 * 6);
    const f3 = randomArray(rng, 3 * 3 * 4 * 6);
    await expectWasmMatchesCpu(() => {
      const x = tf.tensor4d(xv, [2, 5, 7, 6]);
      return [
        tf.conv2dTranspose(x, tf.tensor4d(f2, [2, 2, 4, 6]), [2, 10, 14, 4], 2, 'same'),
        tf.conv2dTranspose(x, tf.tensor4d(f3, [3, 3, 4, 6]), [2, 9, 13, 4], 2, 'same'),
        tf.conv2dTranspose(x, tf.tensor4d(f3, [3, 3, 4, 6]), [2, 11, 15, 4], 2, 'valid'),
      ];
    });
  });

  it('gradients of a conv / conv2dTranspose chain through tf.grads match', async () => {
    const rng = new Rng(14);
    const xv = randomArray(rng, 2 * 9 * 11 * 3);
    const w1 = randomArray(rng, 3 * 3 * 3 * 8);
    const w2 = randomArray(rng, 2 * 2 * 8 * 8);
    const w3 = randomArray(rng, 3 * 3 * 8 * 5);
    await expectWasmMatchesCpu(() => {
      const x = tf.tensor4d(xv, [2, 9, 11, 3]);
      const f = (a: tf.Tensor, b: tf.Tensor, c: tf.Tensor): tf.Scalar => {
        const h = tf.relu(tf.conv2d(x, a as tf.Tensor4D, 2, 'same'));
        const u = tf.conv2dTranspose(h, b as tf.Tensor4D, [2, 10, 12, 8], 2, 'same');
        return tf.conv2d(u, c as tf.Tensor4D, 1, 'valid').square().mean();
      };
      return tf.grads(f)([tf.tensor4d(w1, [3, 3, 3, 8]), tf.tensor4d(w2, [2, 2, 8, 8]), tf.tensor4d(w3, [3, 3, 8, 5])]);
    });
  });
});

describe('wasm depthwise gradient kernels match the cpu backend (1e-4 relative)', () => {
  const cases: ConvCase[] = [
    { x: [2, 7, 9, 3], f: [3, 3, 3, 1], s: 1, pad: 'same' },
    { x: [1, 11, 10, 4], f: [3, 3, 4, 2], s: 2, pad: 'same' },
    { x: [2, 9, 9, 3], f: [5, 5, 3, 1], s: 2, pad: 'valid' },
    { x: [1, 8, 7, 6], f: [3, 3, 6, 3], s: 1, pad: 'valid' },
  ];
  beforeAll(async () => {
    await initRuntime({ backend: 'wasm', threads: 1 });
  });

  it.each(cases.map((c) => [label(c), c] as const))('filter and input gradients %s', async (_, c) => {
    const rng = new Rng(21);
    const xv = randomArray(rng, size(c.x));
    const fv = randomArray(rng, size(c.f));
    const dyShape = outShape(c, true);
    const dyv = randomArray(rng, size(dyShape));
    const attrs = { strides: c.s, pad: c.pad, dilations: 1 };
    await expectWasmMatchesCpu(() => [
      tf.engine().runKernel(tf.DepthwiseConv2dNativeBackpropFilter, { x: tf.tensor4d(xv, c.x), dy: tf.tensor(dyv, dyShape) }, {
        ...attrs,
        filterShape: c.f,
      } as unknown as tf.NamedAttrMap) as tf.Tensor,
      tf.engine().runKernel(tf.DepthwiseConv2dNativeBackpropInput, { dy: tf.tensor(dyv, dyShape), filter: tf.tensor4d(fv, c.f) }, {
        ...attrs,
        inputShape: c.x,
      } as unknown as tf.NamedAttrMap) as tf.Tensor,
    ]);
  });
});

/** float64 loops, written from the definitions: the cpu backend ignores dilation in these gradients. */
function naiveDilated(
  x: Float32Array, xs: number[], w: Float32Array, ws: number[], dy: Float32Array, dys: number[], d: number, padT: number, padL: number,
  depthwise: boolean,
): { dw: Float64Array; dx: Float64Array } {
  const [n, h, wd, ci] = xs;
  const [kh, kw, , co] = ws;
  const [, oh, ow] = dys;
  const m = depthwise ? co : 1;
  const outC = depthwise ? ci * m : co;
  const dw = new Float64Array(w.length);
  const dx = new Float64Array(x.length);
  for (let b = 0; b < n; b++) for (let y = 0; y < oh; y++) for (let q = 0; q < ow; q++) {
    for (let fy = 0; fy < kh; fy++) for (let fx = 0; fx < kw; fx++) {
      const iy = y + fy * d - padT;
      const ix = q + fx * d - padL;
      if (iy < 0 || iy >= h || ix < 0 || ix >= wd) continue;
      for (let c = 0; c < ci; c++) {
        const xi = ((b * h + iy) * wd + ix) * ci + c;
        for (let o = 0; o < (depthwise ? m : co); o++) {
          const oc = depthwise ? c * m + o : o;
          const g = dy[((b * oh + y) * ow + q) * outC + oc];
          const wi = ((fy * kw + fx) * ci + c) * (depthwise ? m : co) + o;
          dw[wi] += x[xi] * g;
          dx[xi] += w[wi] * g;
        }
      }
    }
  }
  return { dw, dx };
}

describe('wasm gradient kernels with dilation match a float64 reference', () => {
  it.each([
    ['conv', false, 4],
    ['depthwise, multiplier 2', true, 2],
    ['depthwise, multiplier 1', true, 1],
  ] as const)('%s, dilation 2, same padding, odd sizes', async (_, depthwise, last) => {
    const rng = new Rng(31);
    const xs: [number, number, number, number] = [2, 9, 8, 3];
    const ws: [number, number, number, number] = [3, 3, 3, last];
    const info = tf.backend_util.computeConv2DInfo(xs, ws, 1, 2, 'same', undefined, depthwise);
    const xv = randomArray(rng, size(xs));
    const wv = randomArray(rng, size(ws));
    const dyv = randomArray(rng, size(info.outShape));
    const ref = naiveDilated(xv, xs, wv, ws, dyv, info.outShape, 2, info.padInfo.top, info.padInfo.left, depthwise);
    const attrs = { strides: 1, pad: 'same', dilations: 2, dataFormat: 'NHWC' };
    const [dw, dx] = await onBackend('wasm', () => [
      tf.engine().runKernel(depthwise ? tf.DepthwiseConv2dNativeBackpropFilter : tf.Conv2DBackpropFilter,
        { x: tf.tensor4d(xv, xs), dy: tf.tensor(dyv, info.outShape) }, { ...attrs, filterShape: ws } as unknown as tf.NamedAttrMap) as tf.Tensor,
      depthwise
        ? (tf.engine().runKernel(tf.DepthwiseConv2dNativeBackpropInput, { dy: tf.tensor(dyv, info.outShape), filter: tf.tensor4d(wv, ws) },
          { ...attrs, inputShape: xs } as unknown as tf.NamedAttrMap) as tf.Tensor)
        : tf.zeros(xs), // Conv2DBackpropInput has no dilation attribute in tfjs
    ]);
    expect(relError(dw, ref.dw)).toBeLessThan(1e-4);
    if (depthwise) expect(relError(dx, ref.dx)).toBeLessThan(1e-4);
  });
});
