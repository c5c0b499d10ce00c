// MSTUnet-style structural anomaly source: the normal image cut into a g x g grid whose cells are
// shuffled and flipped/rotated, so that local structure is broken while colours stay plausible. Pure.
import { type RgbImage } from '../io/image.js';
import { type Rng } from '../core/random.js';

export interface StructuralParams {
  grid: number;
  /** For each destination cell (row-major), the source cell it shows. */
  permutation: number[];
  /** Per destination cell: quarter turns (0..3) and mirror, as 4 * mirror + turns. */
  transforms: number[];
}

export interface StructuralOptions {
  /** Candidate grid sizes; cells narrower than 4 px are not drawn (default [2, 4, 8]). */
  grids?: readonly number[];
}

export function structuralSource(img: RgbImage, rng: Rng, opts: StructuralOptions = {}): { image: RgbImage; params: StructuralParams } {
  const side = Math.min(img.width, img.height);
  const grids = (opts.grids ?? [2, 4, 8]).filter((g) => g >= 2 && side / g >= 4);
  const grid = grids.length > 0 ? rng.pick(grids) : 2;
  const cells = grid * grid;
  const permutation = rng.shuffle(Array.from({ length: cells }, (_, i) => i));
  const transforms = Array.from({ length: cells }, () => rng.int(8));
  return { image: recombine(img, { grid, permutation, transforms }), params: { grid, permutation, transforms } };
}

/** Rebuilds the shuffled image from recorded parameters (deterministic). */
export function recombine(img: RgbImage, p: StructuralParams): RgbImage {
  const { width: w, height: h, data } = img;
  const out = new Float32Array(data.length);
  const g = p.grid;
  const xs = Array.from({ length: g + 1 }, (_, i) => Math.round((i * w) / g));
  const ys = Array.from({ length: g + 1 }, (_, i) => Math.round((i * h) / g));
  for (let cell = 0; cell < g * g; cell++) {
    const dr = Math.floor(cell / g);
    const dc = cell % g;
    const src = p.permutation[cell] as number;
    const sr = Math.floor(src / g);
    const sc = src % g;
    const t = p.transforms[cell] as number;
    const turns = t & 3;
    const mirror = t >= 4;
    const dx0 = xs[dc] as number;
    const dy0 = ys[dr] as number;
    const dw = (xs[dc + 1] as number) - dx0;
    const dh = (ys[dr + 1] as number) - dy0;
    const sx0 = xs[sc] as number;
    const sy0 = ys[sr] as number;
    const sw = (xs[sc + 1] as number) - sx0;
    const sh = (ys[sr + 1] as number) - sy0;
    for (let y = 0; y < dh; y++) {
      for (let x = 0; x < dw; x++) {
        // Normalised cell coordinates, so cells of unequal size (width not divisible by g) still map.
        let u = (x + 0.5) / dw;
        let v = (y + 0.5) / dh;
        if (mirror) u = 1 - u;
        for (let k = 0; k < turns; k++) {
          const tmp = u;
          u = v;
          v = 1 - tmp;
        }
        const px = sx0 + Math.min(sw - 1, Math.floor(u * sw));
        const py = sy0 + Math.min(sh - 1, Math.floor(v * sh));
        const o = 3 * ((dy0 + y) * w + dx0 + x);
        const s = 3 * (py * w + px);
        out[o] = data[s] as number;
        out[o + 1] = data[s + 1] as number;
        out[o + 2] = data[s + 2] as number;
      }
    }
  }
  return { width: w, height: h, data: out };
}
