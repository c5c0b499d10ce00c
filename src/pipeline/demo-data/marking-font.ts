// A 3x5 dot font for laser markings and silkscreen on the demo parts; each lit cell becomes a small square.
// Only the characters the demo parts print; unknown characters are drawn as blanks.
import type { Canvas, Paint } from './canvas.js';
import type { Frame } from './frame.js';

const GLYPHS: Record<string, string> = {
  '0': '111101101101111',
  '1': '010110010010111',
  '2': '111001111100111',
  '3': '111001111001111',
  '4': '101101111001001',
  '5': '111100111001111',
  '6': '111100111101111',
  '7': '111001010010010',
  '8': '111101111101111',
  '9': '111101111001111',
  A: '010101111101101',
  B: '110101110101110',
  C: '011100100100011',
  D: '110101101101110',
  E: '111100110100111',
  F: '111100110100100',
  G: '011100101101011',
  H: '101101111101101',
  K: '101101110101101',
  L: '100100100100111',
  M: '101111111101101',
  N: '110101101101101',
  P: '110101110100100',
  Q: '010101101111011',
  R: '110101110101101',
  S: '011100010001110',
  T: '111010010010010',
  U: '101101101101111',
  V: '101101101101010',
  X: '101101010101101',
  '-': '000000111000000',
  '.': '000000000000010',
};

/**
 * Draws `text` centred at (cx, cy) of frame f with glyph cell size `cell` (board units); a glyph is 3x5 cells
 * with one blank column between glyphs.
 */
export function drawText(canvas: Canvas, f: Frame, text: string, cx: number, cy: number, cell: number, paint: Paint, alpha = 1): void {
  const width = text.length * 4 - 1;
  const x0 = cx - (width * cell) / 2;
  const y0 = cy - 2.5 * cell;
  const half = cell * 0.45;
  for (let k = 0; k < text.length; k++) {
    const glyph = GLYPHS[text[k] as string];
    if (!glyph) continue;
    for (let row = 0; row < 5; row++) {
      for (let col = 0; col < 3; col++) {
        if (glyph[row * 3 + col] !== '1') continue;
        const x = x0 + (k * 4 + col + 0.5) * cell;
        const y = y0 + (row + 0.5) * cell;
        canvas.fill(f.rect(x, y, half, half), paint, { alpha });
      }
    }
  }
}
