// The photometric augmentation LPD applies to every training image, normal or about to be patched: CutPaste's
// ColorJitter(0.1, 0.1, 0.1, 0.1) on the whole image. No geometric changes: on SMT parts orientation is a defect.
import type { RgbImage } from '../../../io/image.js';
import type { Rng } from '../../../core/random.js';
import { hsvToRgb, rgbToHsv } from '../../../synth/augment.js';

export interface ImageJitter {
  brightness: number;
  contrast: number;
  saturation: number;
  hueDeg: number;
}

export function drawImageJitter(rng: Rng, strength: number): ImageJitter {
  return {
    brightness: rng.uniform(1 - strength, 1 + strength),
    contrast: rng.uniform(1 - strength, 1 + strength),
    saturation: rng.uniform(1 - strength, 1 + strength),
    hueDeg: rng.uniform(-strength, strength) * 360,
  };
}

const clamp01 = (v: number): number => (v < 0 ? 0 : v > 1 ? 1 : v);

/** torchvision's order and formulas: brightness, contrast (towards the mean grey), saturation, hue. */
export function applyImageJitter(img: RgbImage, j: ImageJitter): RgbImage {
  const src = img.data;
  const n = img.width * img.height;
  const out = new Float32Array(src.length);
  let grey = 0;
  for (let i = 0; i < n; i++) grey += 0.299 * (src[3 * i] as number) + 0.587 * (src[3 * i + 1] as number) + 0.114 * (src[3 * i + 2] as number);
  const mean = clamp01((grey / n) * j.brightness);
  const hsv = [0, 0, 0];
  const rgb = [0, 0, 0];
  const shiftHue = j.hueDeg !== 0;
  for (let i = 0; i < n; i++) {
    let r = clamp01((src[3 * i] as number) * j.brightness);
    let g = clamp01((src[3 * i + 1] as number) * j.brightness);
    let b = clamp01((src[3 * i + 2] as number) * j.brightness);
    r = clamp01(mean + j.contrast * (r - mean));
    g = clamp01(mean + j.contrast * (g - mean));
    b = clamp01(mean + j.contrast * (b - mean));
    const y = 0.299 * r + 0.587 * g + 0.114 * b;
    r = clamp01(y + j.saturation * (r - y));
    g = clamp01(y + j.saturation * (g - y));
    b = clamp01(y + j.saturation * (b - y));
    if (shiftHue) {
      rgbToHsv(r, g, b, hsv);
      const h = ((((hsv[0] as number) + j.hueDeg) % 360) + 360) % 360;
      hsvToRgb(h, hsv[1] as number, hsv[2] as number, rgb);
      r = rgb[0] as number;
      g = rgb[1] as number;
      b = rgb[2] as number;
    }
    out[3 * i] = r;
    out[3 * i + 1] = g;
    out[3 * i + 2] = b;
  }
  return { width: img.width, height: img.height, data: out };
}
