// Test helper: a torchvision-shaped ResNet state dict with seeded values, and a plain-JS NCHW forward pass
// with PyTorch semantics (symmetric conv padding, -inf max-pool padding, eval-mode BN), written
// independently of src/ so that imported weights can be checked numerically against it.
import { Rng } from '../../../src/pipeline/core/random.js';
import type { ResNetSpec } from '../../../src/models/components/resnet.js';

export interface RefTensor {
  shape: number[];
  data: Float32Array;
}
export type StateDict = Map<string, RefTensor>;

/** Chw feature map of one image. */
export interface Chw {
  c: number;
  h: number;
  w: number;
  data: Float32Array;
}

/** torchvision ResNet parameter names and shapes (incl. num_batches_tracked and fc), in definition order. */
export function torchvisionResNetShapes(spec: ResNetSpec, numClasses = 1000): [string, number[]][] {
  const out: [string, number[]][] = [];
  const bn = (name: string, c: number) => {
    out.push([`${name}.weight`, [c]], [`${name}.bias`, [c]], [`${name}.running_mean`, [c]], [`${name}.running_var`, [c]], [`${name}.num_batches_tracked`, []]);
  };
  out.push(['conv1.weight', [spec.stemChannels, 3, 7, 7]]);
  bn('bn1', spec.stemChannels);
  let inplanes = spec.stemChannels;
  const expansion = spec.block === 'basic' ? 1 : 4;
  for (let s = 0; s < 4; s++) {
    const planes = spec.planes[s] as number;
    for (let b = 0; b < (spec.blocks[s] as number); b++) {
      const p = `layer${s + 1}.${b}`;
      const stride = s > 0 && b === 0 ? 2 : 1;
      if (spec.block === 'basic') {
        out.push([`${p}.conv1.weight`, [planes, inplanes, 3, 3]]);
        bn(`${p}.bn1`, planes);
        out.push([`${p}.conv2.weight`, [planes, planes, 3, 3]]);
        bn(`${p}.bn2`, planes);
      } else {
        const width = Math.floor((planes * spec.widthPerGroup) / 64);
        out.push([`${p}.conv1.weight`, [width, inplanes, 1, 1]]);
        bn(`${p}.bn1`, width);
        out.push([`${p}.conv2.weight`, [width, width, 3, 3]]);
        bn(`${p}.bn2`, width);
        out.push([`${p}.conv3.weight`, [planes * 4, width, 1, 1]]);
        bn(`${p}.bn3`, planes * 4);
      }
      if (stride !== 1 || inplanes !== planes * expansion) {
        out.push([`${p}.downsample.0.weight`, [planes * expansion, inplanes, 1, 1]]);
        bn(`${p}.downsample.1`, planes * expansion);
      }
      inplanes = planes * expansion;
    }
  }
  out.push(['fc.weight', [numClasses, inplanes]], ['fc.bias', [numClasses]]);
  return out;
}

/** Seeded values in ranges that keep activations O(1): He-normal convs, BN stats away from 0 variance. */
export function randomStateDict(shapes: [string, number[]][], seed: number): StateDict {
  const rng = new Rng(seed);
  const dict: StateDict = new Map();
  for (const [name, shape] of shapes) {
    const n = shape.reduce((a, b) => a * b, 1);
    const data = new Float32Array(n);
    const fanIn = shape.length === 4 ? (shape[1] as number) * (shape[2] as number) * (shape[3] as number) : (shape[1] ?? 1);
    for (let i = 0; i < n; i++) {
      if (name.endsWith('num_batches_tracked')) data[i] = 7;
      else if (name.endsWith('running_var')) data[i] = rng.uniform(0.5, 2);
      else if (name.endsWith('running_mean')) data[i] = rng.uniform(-0.3, 0.3);
      else if (shape.length === 1 && name.endsWith('.weight')) data[i] = rng.uniform(0.5, 1.5);
      else if (shape.length === 1) data[i] = rng.uniform(-0.2, 0.2);
      else data[i] = rng.normal(0, Math.sqrt(2 / fanIn));
    }
    dict.set(name, { shape: [...shape], data });
  }
  return dict;
}

function get(dict: StateDict, name: string): Float32Array {
  const t = dict.get(name);
  if (!t) throw new Error(`reference: missing ${name}`);
  return t.data;
}

/** PyTorch Conv2d (no bias): weight [O,I,k,k], zero padding `pad` on every side. */
export function conv2dRef(x: Chw, weight: Float32Array, outC: number, k: number, stride: number, pad: number): Chw {
  const h = Math.floor((x.h + 2 * pad - k) / stride) + 1;
  const w = Math.floor((x.w + 2 * pad - k) / stride) + 1;
  const out = new Float32Array(outC * h * w);
  for (let o = 0; o < outC; o++) {
    for (let i = 0; i < x.c; i++) {
      for (let ky = 0; ky < k; ky++) {
        for (let kx = 0; kx < k; kx++) {
          const wv = weight[((o * x.c + i) * k + ky) * k + kx] as number;
          for (let y = 0; y < h; y++) {
            const iy = y * stride - pad + ky;
            if (iy < 0 || iy >= x.h) continue;
            for (let xx = 0; xx < w; xx++) {
              const ix = xx * stride - pad + kx;
              if (ix < 0 || ix >= x.w) continue;
              out[(o * h + y) * w + xx] = (out[(o * h + y) * w + xx] as number) + wv * (x.data[(i * x.h + iy) * x.w + ix] as number);
            }
          }
        }
      }
    }
  }
  return { c: outC, h, w, data: out };
}

export function bnRef(x: Chw, dict: StateDict, name: string, eps = 1e-5): Chw {
  const [g, b, m, v] = ['weight', 'bias', 'running_mean', 'running_var'].map((p) => get(dict, `${name}.${p}`)) as Float32Array[];
  const out = new Float32Array(x.data.length);
  const hw = x.h * x.w;
  for (let c = 0; c < x.c; c++) {
    const scale = (g![c] as number) / Math.sqrt((v![c] as number) + eps);
    for (let i = 0; i < hw; i++) out[c * hw + i] = ((x.data[c * hw + i] as number) - (m![c] as number)) * scale + (b![c] as number);
  }
  return { ...x, data: out };
}

export function reluRef(x: Chw): Chw {
  return { ...x, data: x.data.map((v) => Math.max(0, v)) };
}

export function addRef(a: Chw, b: Chw): Chw {
  return { ...a, data: a.data.map((v, i) => v + (b.data[i] as number)) };
}

/** MaxPool2d(3, stride 2, padding 1): padded cells are -inf. */
export function maxPoolRef(x: Chw): Chw {
  const h = Math.floor((x.h + 2 - 3) / 2) + 1;
  const w = Math.floor((x.w + 2 - 3) / 2) + 1;
  const out = new Float32Array(x.c * h * w).fill(Number.NEGATIVE_INFINITY);
  for (let c = 0; c < x.c; c++)
    for (let y = 0; y < h; y++)
      for (let xx = 0; xx < w; xx++)
        for (let ky = 0; ky < 3; ky++)
          for (let kx = 0; kx < 3; kx++) {
            const iy = y * 2 - 1 + ky;
            const ix = xx * 2 - 1 + kx;
            if (iy < 0 || iy >= x.h || ix < 0 || ix >= x.w) continue;
            const i = (c * h + y) * w + xx;
            out[i] = Math.max(out[i] as number, x.data[(c * x.h + iy) * x.w + ix] as number);
          }
  return { c: x.c, h, w, data: out };
}

function convNamed(x: Chw, dict: StateDict, name: string, stride: number): Chw {
  const t = dict.get(`${name}.weight`);
  if (!t) throw new Error(`reference: missing ${name}.weight`);
  const [o, , k] = t.shape as [number, number, number, number];
  return conv2dRef(x, t.data, o, k, stride, (k - 1) / 2);
}

/**
 * torchvision ResNet forward in eval mode for one image given as HWC in [0,1] (ImageNet-normalised here,
 * as torchvision's transforms would). Returns the stage outputs layer1..layer4 (CHW).
 */
export function resnetForwardRef(spec: ResNetSpec, dict: StateDict, hwc: Float32Array, size: number): Chw[] {
  const mean = [0.485, 0.456, 0.406];
  const std = [0.229, 0.224, 0.225];
  const img = new Float32Array(3 * size * size);
  for (let i = 0; i < size * size; i++)
    for (let c = 0; c < 3; c++) img[c * size * size + i] = ((hwc[i * 3 + c] as number) - (mean[c] as number)) / (std[c] as number);
  let x: Chw = { c: 3, h: size, w: size, data: img };
  x = maxPoolRef(reluRef(bnRef(convNamed(x, dict, 'conv1', 2), dict, 'bn1')));
  const stages: Chw[] = [];
  for (let s = 0; s < 4; s++) {
    for (let b = 0; b < (spec.blocks[s] as number); b++) {
      const p = `layer${s + 1}.${b}`;
      const stride = s > 0 && b === 0 ? 2 : 1;
      let y: Chw;
      if (spec.block === 'basic') {
        y = reluRef(bnRef(convNamed(x, dict, `${p}.conv1`, stride), dict, `${p}.bn1`));
        y = bnRef(convNamed(y, dict, `${p}.conv2`, 1), dict, `${p}.bn2`);
      } else {
        y = reluRef(bnRef(convNamed(x, dict, `${p}.conv1`, 1), dict, `${p}.bn1`));
        y = reluRef(bnRef(convNamed(y, dict, `${p}.conv2`, stride), dict, `${p}.bn2`));
        y = bnRef(convNamed(y, dict, `${p}.conv3`, 1), dict, `${p}.bn3`);
      }
      const identity = dict.has(`${p}.downsample.0.weight`) ? bnRef(convNamed(x, dict, `${p}.downsample.0`, stride), dict, `${p}.downsample.1`) : x;
      x = reluRef(addRef(y, identity));
    }
    stages.push(x);
  }
  return stages;
}

/** CHW -> HWC, to compare with our NHWC outputs. */
export function chwToHwc(x: Chw): Float32Array {
  const out = new Float32Array(x.data.length);
  for (let c = 0; c < x.c; c++) for (let i = 0; i < x.h * x.w; i++) out[i * x.c + c] = x.data[c * x.h * x.w + i] as number;
  return out;
}
