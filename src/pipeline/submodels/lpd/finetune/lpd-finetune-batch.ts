// LPD's fine-tuning batch: B/2 colour-jittered normals (label 0) and B/2 positives (label 1): CutPaste copies of
// the first normals, as train-lpd makes them, and the real defects, jittered the same way. Masks are not used
// here: LPD's head is an image-level classifier.
import * as tf from '@tensorflow/tfjs';
import type { RgbImage } from '../../../io/image.js';
import { Rng } from '../../../core/random.js';
import { cutPaste, type CutPasteVariant } from '../../../synth/index.js';
import { applyImageJitter, drawImageJitter } from '../train/lpd-augment.js';
import type { CutPasteStats, LpdSynthOptions, LpdTensorBatch } from '../train/lpd-batches.js';
import { imagesToTensor } from '../../../train/tensors.js';
import type { MixedRawBatch } from '../../../finetune/mixed-batches.js';
import { sfadLocationWeights, type LocationWeights } from '../../sfad/finetune/sfad-finetune-step.js';

/** Per embedding cell (side x side per image, in batch order): normals positive, real masks negative, CutPaste rows neither. */
export function lpdCellWeights(raw: MixedRawBatch, side: number): LocationWeights {
  const cells = side * side;
  const normals = raw.normals.length;
  const rows = normals + raw.composition.synthetic + raw.defects.length;
  const own = sfadLocationWeights([...raw.normals.map(() => null), ...raw.defects.map((d) => d.mask)], side);
  const pos = new Float32Array(rows * cells);
  const neg = new Float32Array(rows * cells);
  pos.set(own.pos.subarray(0, normals * cells), 0);
  const at = (normals + raw.composition.synthetic) * cells;
  pos.set(own.pos.subarray(normals * cells), at);
  neg.set(own.neg.subarray(normals * cells), at);
  return { pos, neg };
}

/** [normals..., CutPaste copies..., real defects...] with labels [0..., 1...] (the caller disposes them). */
export function lpdFinetuneBatch(raw: MixedRawBatch, opts: LpdSynthOptions, stats?: CutPasteStats): LpdTensorBatch {
  const jitter = (image: RgbImage, rng: Rng): RgbImage => (opts.jitter > 0 ? applyImageJitter(image, drawImageJitter(rng, opts.jitter)) : image);
  const normals: RgbImage[] = [];
  const positives: RgbImage[] = [];
  raw.normals.forEach((d, i) => {
    const rng = new Rng(raw.seeds[i] as number);
    const normal = jitter(d.image, rng);
    normals.push(normal);
    if (i >= raw.composition.synthetic) return;
    const variant: CutPasteVariant = opts.variant === 'mixed' ? (rng.bool(0.5) ? 'scar' : 'normal') : opts.variant;
    const cut = cutPaste(normal, rng, { variant, gate: opts.gate });
    positives.push(cut.image);
    if (stats) {
      stats.patched++;
      stats.rejections += cut.rejections;
      if (!cut.params.accepted) stats.keptUnaccepted++;
    }
  });
  raw.defects.forEach((d, i) => positives.push(jitter(d.image, new Rng(raw.defectSeeds[i] as number))));
  const images = [...normals, ...positives];
  return tf.tidy(() => ({
    images: imagesToTensor(images),
    labels: tf.tensor1d(images.map((_, i) => (i < normals.length ? 0 : 1))),
  }));
}
