// Generic conv / depthwise conv / transposed conv / batch-norm / activation calls on symbolic tensors, with
// PyTorch padding semantics and seeded initialisers. Blocks that need these (HRNet, U-Net, EfficientNet) compose them.
import * as tf from '@tensorflow/tfjs';
import { layerSeed } from './backbone-init.js';

export type Sym = tf.SymbolicTensor;

export type ActivationName = 'relu' | 'swish' | 'sigmoid' | 'softmax' | 'linear';

export interface ConvOptions {
  /** Layer name, e.g. `enc.stage2.0.branches.1.0.conv1` (also the seed salt). */
  name: string;
  filters: number;
  kernel: number;
  stride?: number;
  useBias?: boolean;
  /** Model seed; each layer derives its own from this and its name. */
  seed: number;
}

/**
 * A conv with PyTorch's symmetric padding (k-1)/2. For stride 1 and odd k, TF 'same' is already symmetric;
 * a strided conv gets an explicit ZeroPadding2D (`<name>_pad`) because TF 'same' would pad only bottom/right
 * and shift features by half a pixel relative to PyTorch, which breaks imported weights.
 */
export function conv2d(x: Sym, o: ConvOptions): Sym {
  const { input, padding, stride } = torchPadding(x, o.name, o.kernel, o.stride ?? 1);
  return tf.layers
    .conv2d({
      filters: o.filters,
      kernelSize: o.kernel,
      strides: stride,
      padding,
      useBias: o.useBias ?? false,
      kernelInitializer: heUniformFanOut(o.seed, o.name),
      name: o.name,
    })
    .apply(input) as Sym;
}

/** Depthwise (groups = channels, multiplier 1) conv with PyTorch padding; init fan-out = k*k as in timm. */
export function depthwiseConv2d(x: Sym, o: Omit<ConvOptions, 'filters'>): Sym {
  const { input, padding, stride } = torchPadding(x, o.name, o.kernel, o.stride ?? 1);
  return tf.layers
    .depthwiseConv2d({
      kernelSize: o.kernel,
      strides: stride,
      padding,
      depthMultiplier: 1,
      useBias: o.useBias ?? false,
      depthwiseInitializer: heUniformFanOut(o.seed, o.name),
      name: o.name,
    })
    .apply(input) as Sym;
}

/**
 * ConvTranspose2d(k=4, stride=2, padding=1) of PyTorch: output exactly 2x the input. TF 'same' with k=4, s=2
 * crops (k - s) = 2 rows in total, one at each side, which is PyTorch's padding=1 exactly (checked against a
 * naive PyTorch-formula reference in test/models/components/conv.test.ts), so no explicit cropping is needed.
 */
export function convTranspose2dX2(x: Sym, o: Omit<ConvOptions, 'kernel' | 'stride'>): Sym {
  return tf.layers
    .conv2dTranspose({
      filters: o.filters,
      kernelSize: 4,
      strides: 2,
      padding: 'same',
      useBias: o.useBias ?? false,
      kernelInitializer: tf.initializers.glorotUniform({ seed: layerSeed(o.seed, o.name) }),
      name: o.name,
    })
    .apply(x) as Sym;
}

/**
 * Kaiming fan-out variance (2 / fan_out, timm's and torchvision's conv init) drawn uniformly. tfjs offers only a
 * truncated normal otherwise, which is ~15x slower to draw under Jest and made building B4 / HRNet-W32 take minutes.
 * For a depthwise kernel [k,k,C,1] tfjs's fan-out is k*k, as in timm (fan_out // groups).
 */
export function heUniformFanOut(seed: number, name: string): ReturnType<typeof tf.initializers.varianceScaling> {
  return tf.initializers.varianceScaling({ scale: 2, mode: 'fanOut', distribution: 'uniform', seed: layerSeed(seed, name) });
}

/** PyTorch BatchNorm2d defaults: eps 1e-5, momentum 0.1 (Keras counts momentum the other way round: 0.9). */
export function batchNorm(x: Sym, name: string): Sym {
  return tf.layers.batchNormalization({ axis: -1, epsilon: 1e-5, momentum: 0.9, name }).apply(x) as Sym;
}

export function activation(x: Sym, kind: ActivationName, name: string): Sym {
  return tf.layers.activation({ activation: kind, name }).apply(x) as Sym;
}

export interface ConvBnActOptions extends ConvOptions {
  bnName: string;
  act?: ActivationName;
  actName?: string;
}

/** conv -> BN -> activation (none when act is 'linear' or absent). */
export function convBnAct(x: Sym, o: ConvBnActOptions): Sym {
  const y = batchNorm(conv2d(x, o), o.bnName);
  if (o.act === undefined || o.act === 'linear') return y;
  return activation(y, o.act, o.actName ?? `${o.name}.act`);
}

export function add(xs: Sym[], name: string): Sym {
  return tf.layers.add({ name }).apply(xs) as Sym;
}

export function concat(xs: Sym[], name: string): Sym {
  return tf.layers.concatenate({ axis: -1, name }).apply(xs) as Sym;
}

/**
 * Bilinear upsampling by an integer factor. tfjs resizes with TF's legacy sampling (half_pixel_centers=False),
 * i.e. out[i] = in[i / f]; PyTorch's align_corners=False samples in[(i + 0.5) / f - 0.5]. The two differ by a
 * quarter pixel at f = 2; the tfjs kernel's gradient does not support half-pixel centres, so we keep the legacy one.
 */
export function upsampleBilinear(x: Sym, factor: number, name: string): Sym {
  return tf.layers.upSampling2d({ size: [factor, factor], interpolation: 'bilinear', name }).apply(x) as Sym;
}

/** Number of trainable scalars (PyTorch's `sum(p.numel() for p in parameters())`: BN running stats excluded). */
export function countTrainableParams(model: tf.LayersModel): number {
  return model.trainableWeights.reduce((n, w) => n + w.shape.reduce((a: number, b) => a * (b ?? 1), 1), 0);
}

function torchPadding(
  x: Sym,
  name: string,
  kernel: number,
  stride: number,
): { input: Sym; padding: 'same' | 'valid'; stride: number } {
  if (kernel % 2 === 0) throw new Error(`conv ${name}: even kernel ${kernel} has no symmetric PyTorch padding`);
  const pad = (kernel - 1) / 2;
  if (stride === 1) return { input: x, padding: 'same', stride };
  if (pad === 0) return { input: x, padding: 'valid', stride };
  const input = tf.layers.zeroPadding2d({ padding: pad, name: `${name}_pad` }).apply(x) as Sym;
  return { input, padding: 'valid', stride };
}
