// A float RGB canvas (HWC, [0,1]) with anti-aliased, alpha-blended shape fills for the demo-data renderer.
// Coverage comes from the shape's signed distance, so edges are smooth at any size; no text, no I/O.
import type { RgbImage } from '../io/image.js';
import type { Shape } from './shapes.js';
// Module-level aliases: global lookups (Math) are very slow inside Jest's vm contexts, and these run per pixel.
const { ceil, floor, max, min, sqrt } = Math;

export type Rgb = readonly [number, number, number];
/** Colour at pixel-centre (x, y), written to out[0..2]. */
export type PaintFn = (x: number, y: number, out: Float32Array) => void;
export type Paint = Rgb | PaintFn;

export interface FillOptions {
  /** Opacity multiplier in [0,1]. */
  alpha?: number;
  /** Edge softness in pixels: 1 = crisp anti-aliasing, larger blurs the edge (soft shadows). */
  soft?: number;
  /** Only pixels inside this shape are painted. */
  clip?: Shape;
}

export class Canvas {
  readonly data: Float32Array;
  private readonly scratch = new Float32Array(3);

  constructor(
    readonly width: number,
    readonly height: number,
  ) {
    this.data = new Float32Array(width * height * 3);
  }

  /** Paints every pixel (backgrounds). */
  paintAll(paint: PaintFn): void {
    const out = this.scratch;
    const d = this.data;
    for (let y = 0; y < this.height; y++) {
      for (let x = 0; x < this.width; x++) {
        paint(x + 0.5, y + 0.5, out);
        const i = (y * this.width + x) * 3;
        d[i] = out[0] as number;
        d[i + 1] = out[1] as number;
        d[i + 2] = out[2] as number;
      }
    }
  }

  fill(shape: Shape, paint: Paint, options: FillOptions = {}): void {
    const alpha = options.alpha ?? 1;
    if (alpha <= 0) return;
    const soft = max(options.soft ?? 1, 1e-3);
    const clip = options.clip;
    const pad = soft + 1;
    const b = shape.bounds;
    const x0 = max(0, floor(b[0] - pad));
    const y0 = max(0, floor(b[1] - pad));
    const x1 = min(this.width, ceil(b[2] + pad));
    const y1 = min(this.height, ceil(b[3] + pad));
    const solid = typeof paint === 'function' ? null : paint;
    const fn = typeof paint === 'function' ? paint : null;
    const out = this.scratch;
    const d = this.data;
    for (let y = y0; y < y1; y++) {
      const py = y + 0.5;
      for (let x = x0; x < x1; x++) {
        const px = x + 0.5;
        let cov = 0.5 - shape.sdf(px, py) / soft;
        if (cov <= 0) continue;
        if (cov > 1) cov = 1;
        if (clip) {
          const cc = 0.5 - clip.sdf(px, py);
          if (cc <= 0) continue;
          if (cc < 1) cov *= cc;
        }
        const a = cov * alpha;
        let r: number;
        let g: number;
        let bl: number;
        if (solid) {
          r = solid[0];
          g = solid[1];
          bl = solid[2];
        } else {
          (fn as PaintFn)(px, py, out);
          r = out[0] as number;
          g = out[1] as number;
          bl = out[2] as number;
        }
        const i = (y * this.width + x) * 3;
        d[i] = (d[i] as number) + a * (r - (d[i] as number));
        d[i + 1] = (d[i + 1] as number) + a * (g - (d[i + 1] as number));
        d[i + 2] = (d[i + 2] as number) + a * (bl - (d[i + 2] as number));
      }
    }
  }

  /** A copy as an RgbImage (values clamped to [0,1]). */
  toImage(): RgbImage {
    const data = new Float32Array(this.data.length);
    for (let i = 0; i < data.length; i++) data[i] = min(1, max(0, this.data[i] as number));
    return { width: this.width, height: this.height, data };
  }
}

export function scaleRgb(c: Rgb, k: number): Rgb {
  return [c[0] * k, c[1] * k, c[2] * k];
}

/** A colour ramp along the line from (x0, y0) to (x1, y1) in pixels; stops are [t, colour] with t ascending in [0,1]. */
export function linearPaint(x0: number, y0: number, x1: number, y1: number, stops: readonly (readonly [number, Rgb])[]): PaintFn {
  const ex = x1 - x0;
  const ey = y1 - y0;
  const ee = ex * ex + ey * ey || 1e-12;
  return (x, y, out) => rampAt(stops, ((x - x0) * ex + (y - y0) * ey) / ee, out);
}

/** A colour ramp by distance from (cx, cy), t = distance / r. */
export function radialPaint(cx: number, cy: number, r: number, stops: readonly (readonly [number, Rgb])[]): PaintFn {
  return (x, y, out) => rampAt(stops, sqrt((x - cx) * (x - cx) + (y - cy) * (y - cy)) / r, out);
}

function rampAt(stops: readonly (readonly [number, Rgb])[], tRaw: number, out: Float32Array): void {
  const t = min(1, max(0, tRaw));
  let i = 1;
  while (i < stops.length - 1 && t > (stops[i] as readonly [number, Rgb])[0]) i++;
  const [ta, ca] = stops[i - 1] as readonly [number, Rgb];
  const [tb, cb] = stops[min(i, stops.length - 1)] as readonly [number, Rgb];
  const k = tb > ta ? min(1, max(0, (t - ta) / (tb - ta))) : 0;
  out[0] = ca[0] + (cb[0] - ca[0]) * k;
  out[1] = ca[1] + (cb[1] - ca[1]) * k;
  out[2] = ca[2] + (cb[2] - ca[2]) * k;
}
