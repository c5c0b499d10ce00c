// The printed circuit board behind a part: solder mask with texture, copper traces under the mask, vias and
// silkscreen. The layout is fixed per category (one board design), only its colours and position vary.
import { type Rgb, scaleRgb } from './canvas.js';
import type { Frame } from './frame.js';
import { drawText } from './marking-font.js';
import type { Point } from './shapes.js';
import { grain, ValueNoise } from './texture.js';
import { Rng, hashSeed } from '../core/random.js';
import type { DrawContext, PartLayout } from './types.js';
// Module-level aliases: global lookups (Math) are very slow inside Jest's vm contexts, and these run per pixel.
const { max, min } = Math;

export interface BoardLayout {
  traces: { points: Point[]; hw: number }[];
  vias: { x: number; y: number; r: number }[];
  /** Silkscreen corner brackets around the footprint. */
  outline: { hw: number; hh: number };
  refdes: { text: string; x: number; y: number };
}

/** The board design for a category: depends only on the category name and the part layout. */
export function boardLayout(category: string, refdes: string, layout: PartLayout): BoardLayout {
  const rng = new Rng(hashSeed(`board:${category}`));
  const traces: BoardLayout['traces'] = [];
  const vias: BoardLayout['vias'] = [];
  const anchors = layout.anchors;
  const count = min(anchors.length, 2 + rng.int(3));
  const order = rng.shuffle(anchors.map((_, i) => i)).slice(0, count);
  for (const i of order) {
    const { at, dir } = anchors[i] as PartLayout['anchors'][number];
    const run = rng.uniform(0.05, 0.14);
    const turn = rng.bool() ? 1 : -1;
    const p1: Point = [at[0] + dir[0] * run, at[1] + dir[1] * run];
    // A 45-degree jog then straight out of the picture, as routed boards do.
    const diag: Point = [dir[0] - turn * dir[1], dir[1] + turn * dir[0]];
    const jog = rng.uniform(0.05, 0.12);
    const p2: Point = [p1[0] + diag[0] * jog, p1[1] + diag[1] * jog];
    const p3: Point = [p2[0] + dir[0], p2[1] + dir[1]];
    traces.push({ points: [at, p1, p2, p3], hw: rng.uniform(0.008, 0.014) });
    if (rng.bool(0.5)) vias.push({ x: p2[0] + dir[0] * 0.06, y: p2[1] + dir[1] * 0.06, r: rng.uniform(0.018, 0.024) });
  }
  const margin = 0.035;
  const outline = { hw: layout.extent.hw + margin, hh: layout.extent.hh + margin };
  const corner = rng.int(4);
  const sx = corner & 1 ? 1 : -1;
  const sy = corner & 2 ? 1 : -1;
  const refdesAt = {
    x: max(-0.36, min(0.36, sx * (outline.hw - 0.02))),
    y: max(-0.41, min(0.41, sy * (outline.hh + 0.045))),
  };
  return { traces, vias, outline, refdes: { text: refdes, ...refdesAt } };
}

export interface BoardLook {
  noise: ValueNoise;
  grainSeed: number;
}

export function sampleBoardLook(rng: Rng): BoardLook {
  return { noise: new ValueNoise(rng, 5), grainSeed: rng.nextU32() | 0 };
}

export function drawBoard(ctx: DrawContext, layout: BoardLayout, look: BoardLook): void {
  const { canvas, tones } = ctx;
  const f = ctx.board;
  const size = canvas.width;
  const base = tones.board;
  canvas.paintAll((x, y, out) => {
    const k = 1 + 0.06 * look.noise.at(x / size, y / size) + 0.035 * grain(x, y, look.grainSeed);
    out[0] = base[0] * k;
    out[1] = base[1] * k;
    out[2] = base[2] * k;
  });
  for (const t of layout.traces) canvas.fill(f.polyline(t.points, t.hw), tones.trace);
  for (const v of layout.vias) drawVia(ctx, f, v.x, v.y, v.r);
  drawOutline(ctx, f, layout.outline.hw, layout.outline.hh, tones.silk);
  drawText(canvas, f, layout.refdes.text, layout.refdes.x, layout.refdes.y, 0.011, tones.silk, 0.9);
}

function drawVia(ctx: DrawContext, f: Frame, x: number, y: number, r: number): void {
  ctx.canvas.fill(f.circle(x, y, r), scaleRgb(ctx.tones.tin, 0.9));
  ctx.canvas.fill(f.circle(x, y, r * 0.5), [0.05, 0.06, 0.05] as Rgb);
}

function drawOutline(ctx: DrawContext, f: Frame, hw: number, hh: number, silk: Rgb): void {
  const arm = min(hw, hh) * 0.35;
  const w = 0.0045;
  for (const sx of [-1, 1]) {
    for (const sy of [-1, 1]) {
      const cx = sx * hw;
      const cy = sy * hh;
      ctx.canvas.fill(
        f.polyline(
          [
            [cx - sx * arm, cy],
            [cx, cy],
            [cx, cy - sy * arm],
          ],
          w,
        ),
        silk,
        { alpha: 0.9 },
      );
    }
  }
}
