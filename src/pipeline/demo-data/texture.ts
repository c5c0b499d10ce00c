// Deterministic procedural textures for the demo renderer: per-pixel hash grain and smooth value noise.
// Both are pure functions of their seed and coordinates, so a scene renders identically every time.
import type { Rng } from '../core/random.js';
// Module-level aliases: global lookups (Math) are very slow inside Jest's vm contexts, and these run per pixel.
const { floor, imul, max, min } = Math;

/** A well-mixed unsigned 32-bit hash of integer-ish pixel coordinates and a seed. */
export function hash32(x: number, y: number, seed: number): number {
  let h = imul((x | 0) ^ 0x27d4eb2d, 0x165667b1) ^ imul((y | 0) + 0x9e3779b9, 0x85ebca6b) ^ seed;
  h = imul(h ^ (h >>> 15), 0x2c1b3c6d);
  h = imul(h ^ (h >>> 12), 0x297a2d39);
  return (h ^ (h >>> 15)) >>> 0;
}

/** Hash grain in [-1, 1] for integer-ish pixel coordinates and a seed. */
export function grain(x: number, y: number, seed: number): number {
  return (hash32(x, y, seed) / 4294967295) * 2 - 1;
}

/** Smooth value noise on a `cells` x `cells` lattice over [0,1]^2, values in about [-1, 1]. */
export class ValueNoise {
  private readonly lattice: Float32Array;

  constructor(
    rng: Rng,
    private readonly cells: number,
  ) {
    this.lattice = new Float32Array((cells + 1) * (cells + 1));
    for (let i = 0; i < this.lattice.length; i++) this.lattice[i] = rng.uniform(-1, 1);
  }

  at(u: number, v: number): number {
    const n = this.cells;
    const x = min(max(u, 0), 1) * n;
    const y = min(max(v, 0), 1) * n;
    const xi = min(n - 1, floor(x));
    const yi = min(n - 1, floor(y));
    const tx = smooth(x - xi);
    const ty = smooth(y - yi);
    const w = n + 1;
    const l = this.lattice;
    const a = l[yi * w + xi] as number;
    const b = l[yi * w + xi + 1] as number;
    const c = l[(yi + 1) * w + xi] as number;
    const d = l[(yi + 1) * w + xi + 1] as number;
    return a + (b - a) * tx + (c - a) * ty + (a - b - c + d) * tx * ty;
  }
}

function smooth(t: number): number {
  return t * t * (3 - 2 * t);
}
