// Conversions between plain images/masks and batched tensors at the boundary of the training loops.
// Images become [N,H,W,3] float32 in [0,1]; masks [N,H,W,1] float32 in {0,1}.
import * as tf from '@tensorflow/tfjs';
import type { Mask, RgbImage } from '../io/image.js';
import { MadenetError } from '../core/errors.js';

export function imagesToTensor(images: readonly RgbImage[]): tf.Tensor4D {
  const first = images[0];
  if (!first) throw new MadenetError('E_INTERNAL', 'imagesToTensor needs at least one image.');
  const { width, height } = first;
  const plane = width * height * 3;
  const buf = new Float32Array(plane * images.length);
  images.forEach((img, i) => {
    if (img.width !== width || img.height !== height) {
      throw new MadenetError('E_INTERNAL', `Batch images differ in size: ${img.width}x${img.height} vs ${width}x${height}.`);
    }
    buf.set(img.data, i * plane);
  });
  return tf.tensor4d(buf, [images.length, height, width, 3]);
}

export function masksToTensor(masks: readonly Mask[]): tf.Tensor4D {
  const first = masks[0];
  if (!first) throw new MadenetError('E_INTERNAL', 'masksToTensor needs at least one mask.');
  const { width, height } = first;
  const plane = width * height;
  const buf = new Float32Array(plane * masks.length);
  masks.forEach((m, i) => buf.set(m.data, i * plane));
  return tf.tensor4d(buf, [masks.length, height, width, 1]);
}

/** Splits a [N,H,W] (or [N,H,W,1]) map tensor into N plain Float32Arrays; disposes nothing it did not make. */
export async function mapsFromTensor(maps: tf.Tensor): Promise<Float32Array[]> {
  const [n, h, w] = maps.shape as [number, number, number];
  const data = (await maps.data()) as Float32Array;
  const plane = h * w;
  return Array.from({ length: n }, (_, i) => data.slice(i * plane, (i + 1) * plane));
}
