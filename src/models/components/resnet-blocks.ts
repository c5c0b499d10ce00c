// The building blocks of torchvision's ResNets (stem, BasicBlock, Bottleneck v1.5) as tf.layers calls whose
// layer names are torchvision's parameter paths (`layer2.0.conv1`, `layer2.0.downsample.0`). No model assembly here.
import * as tf from '@tensorflow/tfjs';
import { convInit, type InitSeed } from './backbone-init.js';

type Sym = tf.SymbolicTensor;

/** PyTorch BatchNorm2d defaults: eps 1e-5, momentum 0.1 (Keras counts momentum the other way round). */
export function batchNorm(x: Sym, name: string): Sym {
  return tf.layers
    .batchNormalization({ axis: -1, epsilon: 1e-5, momentum: 0.9, name })
    .apply(x) as Sym;
}

export function relu(x: Sym, name: string): Sym {
  return tf.layers.activation({ activation: 'relu', name }).apply(x) as Sym;
}

/**
 * A bias-free conv with PyTorch's symmetric padding (k-1)/2. Strided convs get an explicit ZeroPadding2D
 * because TF 'same' pads asymmetrically when the stride is 2 and would shift every feature by half a pixel
 * relative to torchvision, which breaks imported weights.
 */
export function conv(x: Sym, name: string, filters: number, kernel: number, stride: number, seed: InitSeed): Sym {
  const pad = (kernel - 1) / 2;
  let input = x;
  let padding: 'same' | 'valid' = 'same';
  if (stride > 1 && pad > 0) {
    input = tf.layers.zeroPadding2d({ padding: pad, name: `${name}_pad` }).apply(x) as Sym;
    padding = 'valid';
  } else if (stride > 1) {
    padding = 'valid';
  }
  return tf.layers
    .conv2d({ filters, kernelSize: kernel, strides: stride, padding, useBias: false, kernelInitializer: convInit(seed, name), name })
    .apply(input) as Sym;
}

/** conv7x7/2 -> BN -> ReLU -> maxpool3x3/2 (pad 1). Zero padding before the max-pool equals PyTorch's -inf
 * padding here because the input is post-ReLU (>= 0). */
export function stem(x: Sym, filters: number, seed: InitSeed): Sym {
  let y = conv(x, 'conv1', filters, 7, 2, seed);
  y = batchNorm(y, 'bn1');
  y = relu(y, 'relu');
  y = tf.layers.zeroPadding2d({ padding: 1, name: 'maxpool_pad' }).apply(y) as Sym;
  return tf.layers.maxPooling2d({ poolSize: 3, strides: 2, padding: 'valid', name: 'maxpool' }).apply(y) as Sym;
}

function shortcut(x: Sym, prefix: string, outChannels: number, stride: number, seed: InitSeed): Sym {
  const inChannels = x.shape[x.shape.length - 1];
  if (stride === 1 && inChannels === outChannels) return x;
  const y = conv(x, `${prefix}.downsample.0`, outChannels, 1, stride, seed);
  return batchNorm(y, `${prefix}.downsample.1`);
}

function addRelu(a: Sym, b: Sym, prefix: string): Sym {
  const sum = tf.layers.add({ name: `${prefix}.add` }).apply([a, b]) as Sym;
  return relu(sum, `${prefix}.relu`);
}

/** torchvision BasicBlock: 3x3(stride) -> BN -> ReLU -> 3x3 -> BN, + shortcut, ReLU. Output `${prefix}.relu`. */
export function basicBlock(x: Sym, prefix: string, planes: number, stride: number, seed: InitSeed): Sym {
  let y = conv(x, `${prefix}.conv1`, planes, 3, stride, seed);
  y = relu(batchNorm(y, `${prefix}.bn1`), `${prefix}.relu1`);
  y = conv(y, `${prefix}.conv2`, planes, 3, 1, seed);
  y = batchNorm(y, `${prefix}.bn2`);
  return addRelu(y, shortcut(x, prefix, planes, stride, seed), prefix);
}

/** torchvision Bottleneck (v1.5: the stride sits on the 3x3): 1x1 -> 3x3(stride) -> 1x1 (x4), + shortcut. */
export function bottleneck(x: Sym, prefix: string, width: number, outChannels: number, stride: number, seed: InitSeed): Sym {
  let y = conv(x, `${prefix}.conv1`, width, 1, 1, seed);
  y = relu(batchNorm(y, `${prefix}.bn1`), `${prefix}.relu1`);
  y = conv(y, `${prefix}.conv2`, width, 3, stride, seed);
  y = relu(batchNorm(y, `${prefix}.bn2`), `${prefix}.relu2`);
  y = conv(y, `${prefix}.conv3`, outChannels, 1, 1, seed);
  y = batchNorm(y, `${prefix}.bn3`);
  return addRelu(y, shortcut(x, prefix, outChannels, stride, seed), prefix);
}
