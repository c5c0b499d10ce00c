// Zero-padded, centred, separable 2-D filtering of every channel independently (PyTorch conv/avg_pool with
// padding k//2 and count_include_pad). Built from 1-channel conv2d, whose gradients exist on every tfjs backend.
import * as tf from '@tensorflow/tfjs';

/**
 * [N,H,W,C] -> [N,H,W,C]: each channel convolved with outer(k, k) over a zero border of (k.length-1)/2.
 * Two 1-D passes equal the 2-D kernel exactly because the kernel is an outer product and the border is zero.
 */
export function separableFilter(x: tf.Tensor4D, kernel1d: Float32Array): tf.Tensor4D {
  const k = kernel1d.length;
  if (k % 2 === 0) throw new Error(`separableFilter: kernel length ${k} must be odd (centred window)`);
  return tf.tidy(() => {
    const [n, h, w, c] = x.shape;
    // Channels become batch entries so one [k,1,1,1] kernel serves all of them.
    const planes = c === 1 ? x : (x.transpose([0, 3, 1, 2]).reshape([n * c, h, w, 1]) as tf.Tensor4D);
    const kv = tf.tensor4d(kernel1d, [k, 1, 1, 1]);
    const kh = tf.tensor4d(kernel1d, [1, k, 1, 1]);
    const y = tf.conv2d(tf.conv2d(planes, kv, 1, 'same'), kh, 1, 'same');
    return (c === 1 ? y : y.reshape([n, c, h, w]).transpose([0, 2, 3, 1])) as tf.Tensor4D;
  });
}

/** Normalised 1-D Gaussian exp(-(i - size//2)^2 / (2 sigma^2)) (pytorch-ssim / DRAEM `gaussian`). */
export function gaussianWindow(size: number, sigma = 1.5): Float32Array {
  const g = Float32Array.from({ length: size }, (_, i) => Math.exp(-((i - Math.floor(size / 2)) ** 2) / (2 * sigma * sigma)));
  const sum = g.reduce((a, b) => a + b, 0);
  return g.map((v) => v / sum);
}

/** 1-D box of ones/size: separableFilter with it is the size x size mean filter (count_include_pad). */
export function boxWindow(size: number): Float32Array {
  return new Float32Array(size).fill(1 / size);
}
