// The built-in texture set used when no --textures folder is given: stripes, checks, fractal noise,
// marble, wood rings, dots, speckle, hatching and cells, with seeded colours. Pure; square RGB images.
import { createImage, type RgbImage } from '../io/image.js';
import { Rng } from '../core/random.js';
import { clamp01 } from './image-ops.js';
import { perlinNoise } from './perlin.js';

export const PROCEDURAL_KINDS = ['stripes', 'checks', 'noise', 'marble', 'wood', 'dots', 'speckle', 'hatch', 'cells'] as const;
export type ProceduralKind = (typeof PROCEDURAL_KINDS)[number];

type Rgb = [number, number, number];

/** One procedural texture of the given kind, size x size, all choices from `rng`. */
export function proceduralTexture(kind: ProceduralKind, size: number, rng: Rng): RgbImage {
  const c0 = randomColour(rng);
  const c1 = randomColour(rng);
  const angle = rng.uniform(0, Math.PI);
  const period = rng.uniform(size / 24, size / 4);
  // The kind's own draws come after the shared ones, always in this order (textures are regenerable by seed).
  return paint(size, c0, c1, PATTERNS[kind]({ size, cos: Math.cos(angle), sin: Math.sin(angle), period }, rng));
}

/** The shared geometry of a texture: its side, the pattern's direction and its period in pixels. */
interface Geometry {
  size: number;
  cos: number;
  sin: number;
  period: number;
}

/** A pattern's value in [0, 1] at each pixel (clamped when painted). */
type Field = (x: number, y: number) => number;

const PATTERNS: Record<ProceduralKind, (g: Geometry, rng: Rng) => Field> = {
  stripes: ({ cos, sin, period }) => (x, y) => 0.5 + 0.5 * Math.sin((2 * Math.PI * (x * cos + y * sin)) / period),
  checks: ({ cos, sin, period }) => (x, y) => {
    const u = Math.floor((x * cos + y * sin) / period);
    const v = Math.floor((-x * sin + y * cos) / period);
    return (u + v) & 1;
  },
  noise: ({ size }, rng) => {
    const n = perlinNoise(size, size, rng, { scaleX: 4, scaleY: 4, angleDeg: 0, octaves: 5 });
    return (x, y) => 0.5 + n[y * size + x]!;
  },
  marble: ({ size, cos, sin, period }, rng) => {
    const n = perlinNoise(size, size, rng, { scaleX: 4, scaleY: 4, angleDeg: 0, octaves: 4 });
    return (x, y) => 0.5 + 0.5 * Math.sin((2 * Math.PI * (x * cos + y * sin)) / period + 6 * n[y * size + x]!);
  },
  wood: ({ size, period }, rng) => {
    const n = perlinNoise(size, size, rng, { scaleX: 2, scaleY: 8, angleDeg: 0, octaves: 3 });
    const cx = rng.uniform(-size, 2 * size);
    const cy = rng.uniform(-size, 2 * size);
    return (x, y) => {
      const r = Math.hypot(x - cx, y - cy) / (period / 3) + 4 * n[y * size + x]!;
      return r - Math.floor(r);
    };
  },
  dots: ({ cos, sin, period }, rng) => {
    const radius = rng.uniform(0.15, 0.4) * period;
    return (x, y) => {
      const u = x * cos + y * sin;
      const v = -x * sin + y * cos;
      const du = u - period * Math.round(u / period);
      const dv = v - period * Math.round(v / period);
      return Math.hypot(du, dv) < radius ? 1 : 0;
    };
  },
  speckle: ({ size }, rng) => {
    const density = rng.uniform(0.05, 0.4);
    const cells = new Float32Array(size * size);
    for (let i = 0; i < cells.length; i++) cells[i] = rng.bool(density) ? rng.uniform(0.5, 1) : rng.uniform(0, 0.3);
    return (x, y) => cells[y * size + x]!;
  },
  hatch: ({ cos, sin, period }) => (x, y) => {
    const a = Math.abs(((x * cos + y * sin) % period) + period) % period;
    const b = Math.abs(((-x * sin + y * cos) % period) + period) % period;
    return a < period * 0.2 || b < period * 0.2 ? 1 : 0;
  },
  cells: cellsPattern,
};

/** Voronoi cells of random shade with dark borders, on a torus. */
function cellsPattern({ size }: Geometry, rng: Rng): Field {
  const count = rng.intRange(8, 40);
  const pts = Array.from({ length: count }, () => [rng.uniform(0, size), rng.uniform(0, size)] as const);
  const shade = pts.map(() => rng.next());
  return (x, y) => {
    let best = Infinity;
    let second = Infinity;
    let id = 0;
    for (let i = 0; i < count; i++) {
      const p = pts[i]!;
      // Wrap-around distance makes the cells tile like the photographed textures do.
      const dx = Math.min(Math.abs(x - p[0]), size - Math.abs(x - p[0]));
      const dy = Math.min(Math.abs(y - p[1]), size - Math.abs(y - p[1]));
      const d = dx * dx + dy * dy;
      if (d < best) {
        second = best;
        best = d;
        id = i;
      } else if (d < second) second = d;
    }
    return Math.sqrt(second) - Math.sqrt(best) < 1.5 ? 0 : shade[id]!;
  };
}

/** `count` textures cycling through the kinds, each from its own fork of a seeded stream. */
export function proceduralTextures(size: number, seed: number, count: number): RgbImage[] {
  const root = new Rng(seed);
  const out: RgbImage[] = [];
  for (let i = 0; i < count; i++) {
    const kind = PROCEDURAL_KINDS[i % PROCEDURAL_KINDS.length] as ProceduralKind;
    out.push(proceduralTexture(kind, size, root.fork()));
  }
  return out;
}

function randomColour(rng: Rng): Rgb {
  return [rng.next(), rng.next(), rng.next()];
}

function paint(size: number, c0: Rgb, c1: Rgb, f: (x: number, y: number) => number): RgbImage {
  const img = createImage(size, size);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const t = clamp01(f(x, y));
      const o = 3 * (y * size + x);
      for (let c = 0; c < 3; c++) img.data[o + c] = c0[c]! + t * (c1[c]! - c0[c]!);
    }
  }
  return img;
}
