// A preview of what the trained SRAD does, saved beside its weights: one row per validation defect with
// input | reconstruction | anomaly map | ground truth. Inference only; builds an RgbImage for encodePng.
import * as tf from '@tensorflow/tfjs';
import type { SradConfig } from '../model/config.js';
import type { SradModels } from '../model/model.js';
import { sradPredict } from '../model/predict.js';
import type { Mask, RgbImage } from '../../../io/image.js';
import { streamValidation, type ValidationItem, type ValidationPlan } from '../../../perfmap/validation-set.js';
import type { TextureBank } from '../../../synth/texture-bank.js';
import { imagesToTensor } from '../../../train/tensors.js';

const GAP = 2;

/** Up to `rows` validation defects (or normals when there are none), laid out as a grid of four columns. */
export async function sradPreview(
  models: SradModels,
  cfg: SradConfig,
  plan: ValidationPlan,
  opts: { textures: TextureBank; rows?: number },
): Promise<RgbImage> {
  const want = opts.rows ?? 4;
  const items: ValidationItem[] = [];
  for await (const item of streamValidation(plan, 'all', { size: cfg.imageSize, textures: opts.textures })) {
    items.push(item);
    if (items.length >= want) break;
  }
  const s = cfg.imageSize;
  const sheet = blank(4 * s + 3 * GAP, items.length * s + Math.max(0, items.length - 1) * GAP);
  if (items.length === 0) return sheet;
  const input = imagesToTensor(items.map((i) => i.image));
  const out = sradPredict(models, cfg, input);
  const [recon, map] = await Promise.all([out.recon.data(), out.map.data()]);
  tf.dispose([input, out.recon, out.map, out.score]);
  items.forEach((item, r) => {
    const y = r * (s + GAP);
    blit(sheet, item.image, 0, y);
    blit(sheet, { width: s, height: s, data: (recon as Float32Array).subarray(r * s * s * 3, (r + 1) * s * s * 3) }, s + GAP, y);
    blit(sheet, heat((map as Float32Array).subarray(r * s * s, (r + 1) * s * s), s), 2 * (s + GAP), y);
    blit(sheet, grey(item.mask ?? { width: s, height: s, data: new Float32Array(s * s) }), 3 * (s + GAP), y);
  });
  return sheet;
}

function blank(width: number, height: number): RgbImage {
  return { width, height, data: new Float32Array(width * height * 3).fill(0.5) };
}

function blit(dst: RgbImage, src: RgbImage, x0: number, y0: number): void {
  for (let y = 0; y < src.height; y++) {
    const from = y * src.width * 3;
    dst.data.set(src.data.subarray(from, from + src.width * 3), ((y0 + y) * dst.width + x0) * 3);
  }
}

/** Probability in [0,1] as black -> red -> yellow. */
function heat(values: Float32Array, s: number): RgbImage {
  const data = new Float32Array(s * s * 3);
  values.forEach((v, i) => {
    const t = Math.min(1, Math.max(0, v));
    data[3 * i] = Math.min(1, 2 * t);
    data[3 * i + 1] = Math.max(0, 2 * t - 1);
    data[3 * i + 2] = 0;
  });
  return { width: s, height: s, data };
}

function grey(mask: Mask): RgbImage {
  const data = new Float32Array(mask.width * mask.height * 3);
  mask.data.forEach((v, i) => data.fill(v, 3 * i, 3 * i + 3));
  return { width: mask.width, height: mask.height, data };
}
