// Turns a mixed raw batch into SRAD's fine-tuning tensors: synthetic anomalies on the first normals (DRAEM /
// MSTUnet synthesis, always an anomaly), clean normals, then the real defects with their masks. A real defect has
// no clean twin, so its reconstruction target is itself and the reconstruction loss ignores the defect and its
// surroundings (the mask dilated by the SSIM window): the reconstructive network must never learn to reproduce a
// defect, while the focal loss learns the real mask and normal regions still teach reconstruction.
import * as tf from '@tensorflow/tfjs';
import type { Mask, RgbImage } from '../../../io/image.js';
import { synthesizeAnomalyFromSeed } from '../../../synth/anomaly.js';
import type { ForegroundCache, SradSynthOptions } from '../train/srad-batches.js';
import { imagesToTensor, masksToTensor } from '../../../train/tensors.js';
import type { SradFinetuneBatch } from './srad-finetune-step.js';
import type { MixedRawBatch } from '../../../finetune/mixed-batches.js';

/** Stacks [synthetic..., clean..., real...] (the caller disposes the tensors). ssimWindow sets the dilation. */
export function sradFinetuneBatch(
  raw: MixedRawBatch,
  opts: Pick<SradSynthOptions, 'textures' | 'foreground'> & { ssimWindow: number },
  cache: ForegroundCache,
): SradFinetuneBatch {
  const images: RgbImage[] = [];
  const cleans: RgbImage[] = [];
  const masks: Mask[] = [];
  const { synthetic } = raw.composition;
  raw.normals.forEach((d, i) => {
    if (i < synthetic) {
      const foreground = opts.foreground === 'auto' ? cache.get(d.sample.path, d.image) : null;
      const s = synthesizeAnomalyFromSeed(d.image, raw.seeds[i] as number, { kind: 'mixed', textures: opts.textures, foreground, normalProbability: 0 });
      images.push(s.image);
      masks.push(s.mask);
    } else {
      images.push(d.image);
      masks.push({ width: d.image.width, height: d.image.height, data: new Float32Array(d.image.width * d.image.height) });
    }
    cleans.push(d.image);
  });
  for (const d of raw.defects) {
    images.push(d.image);
    cleans.push(d.image);
    masks.push(d.mask);
  }
  const nNormal = raw.normals.length;
  return tf.tidy(() => {
    const mask = masksToTensor(masks);
    // Only real rows are excluded from reconstruction: a synthetic defect has its clean twin as the target.
    const isReal = tf.tensor1d(masks.map((_, i) => (i >= nNormal ? 1 : 0))).reshape([masks.length, 1, 1, 1]);
    const realMask = mask.mul(isReal) as tf.Tensor4D;
    const dilated = tf.maxPool(realMask, opts.ssimWindow, 1, 'same');
    return {
      image: imagesToTensor(images),
      clean: imagesToTensor(cleans),
      mask,
      recWeight: tf.scalar(1).sub(dilated) as tf.Tensor4D,
    };
  });
}
