// A 3x5 pixel font for the labels infer burns into overlays (verdict, score, threshold, colour-scale ends), drawn
// straight into an RGB image: no system fonts, so the overlays look the same on every server.
import type { RgbImage } from '../io/image.js';

const GLYPHS: Record<string, string> = {
  '0': '111101101101111', '1': '010110010010111', '2': '111001111100111', '3': '111001111001111', '4': '101101111001001',
  '5': '111100111001111', '6': '111100111101111', '7': '111001010010010', '8': '111101111101111', '9': '111101111001111',
  A: '010101111101101', B: '110101110101110', C: '011100100100011', D: '110101101101110', E: '111100110100111',
  F: '111100110100100', G: '011100101101011', H: '101101111101101', I: '111010010010111', K: '101101110101101',
  L: '100100100100111', M: '101111111101101', N: '110101101101101', O: '010101101101010', P: '110101110100100',
  R: '110101110101101', S: '011100010001110', T: '111010010010010', U: '101101101101111', V: '101101101101010',
  W: '101101111111101', X: '101101010101101', Y: '101101010010010', '-': '000000111000000', '.': '000000000000010',
  ':': '000010000010000', '=': '000111000111000', '>': '100010001010100', '<': '001010100010001', '/': '001001010100100',
  '+': '000010111010000', e: '000111101110011',
};

/** Width in pixels of `text` at scale k (4 columns per glyph, the last blank dropped). */
export function textWidth(text: string, k: number): number {
  return Math.max(0, text.length * 4 - 1) * k;
}

/** Draws `text` with its top-left corner at (x, y), each font cell k x k pixels, in colour rgb ([0,1] each). */
export function drawText(img: RgbImage, text: string, x: number, y: number, k: number, rgb: readonly [number, number, number]): void {
  for (let g = 0; g < text.length; g++) {
    const glyph = GLYPHS[text[g] as string] ?? GLYPHS[(text[g] as string).toUpperCase()];
    if (!glyph) continue;
    for (let row = 0; row < 5; row++) {
      for (let col = 0; col < 3; col++) {
        if (glyph[row * 3 + col] !== '1') continue;
        for (let dy = 0; dy < k; dy++) {
          for (let dx = 0; dx < k; dx++) {
            const px = x + (g * 4 + col) * k + dx;
            const py = y + row * k + dy;
            if (px < 0 || py < 0 || px >= img.width || py >= img.height) continue;
            const o = (py * img.width + px) * 3;
            img.data[o] = rgb[0];
            img.data[o + 1] = rgb[1];
            img.data[o + 2] = rgb[2];
          }
        }
      }
    }
  }
}
