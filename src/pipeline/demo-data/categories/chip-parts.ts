// Two-terminal chip parts seen from above (CAPACITOR, RESISTOR, INDUCTOR): a box body between metal end caps
// on two pads with fillets; also draws the tombstone (one end lifted) of such a part.
import { type PaintFn, type Rgb, scaleRgb } from '../canvas.js';
import { Frame } from '../frame.js';
import { drawText } from '../marking-font.js';
import { contactShadow, epoxyPaint, filletX, metalPaint, padX, solderDome, speckledPaint, twoTerminalLayout } from '../parts-kit.js';
import type { Rng } from '../../core/random.js';
import type { CategoryModel, DemoCategory, DemoDefectType, DrawContext, PartInstance, PartState, Tones } from '../types.js';

interface ChipLook {
  /** Body length along x, width along y, end-cap length (board units). */
  length: number;
  width: number;
  cap: number;
  /** Pad reaches this far beyond the body end. */
  padExt: number;
  top: (f: Frame, tones: Tones) => PaintFn | Rgb;
  /** A white ceramic rim around a dark overglaze (chip resistors). */
  rim?: Rgb;
  marking?: { text: string; cell: number; color: Rgb };
  darkBody: boolean;
}

function chipModel(name: DemoCategory, refdes: string, defects: DemoDefectType[], look: (rng: Rng) => ChipLook): CategoryModel {
  return { name, refdes, defects, create: (rng, tones) => createChip(look(rng), tones, rng) };
}

function createChip(look: ChipLook, tones: Tones, rng: Rng): PartInstance {
  const L = look.length * rng.uniform(0.985, 1.015);
  const W = look.width * rng.uniform(0.985, 1.015);
  const cap = look.cap;
  const padIn = L / 2 - cap * 0.85;
  const padOut = L / 2 + look.padExt;
  const padHw = (W / 2) * 1.12 + 0.008;
  const seed = rng.nextU32() | 0;
  const capTone = scaleRgb(tones.tin, rng.uniform(0.97, 1.03));
  const thickness = W * 0.75;
  return {
    layout: twoTerminalLayout(padOut, { hw: L / 2 - cap, hh: W / 2 }, { hw: padOut, hh: padHw }, look.darkBody),
    draw(ctx: DrawContext, state: PartState) {
      const fb = ctx.board;
      const sides = [fb.child(0, 0, Math.PI), fb];
      const lifted = state.tombstone?.end;
      for (const sf of sides) padX(ctx, sf, padIn, padOut, 0, padHw);
      sides.forEach((sf, k) => {
        if (!state.present || lifted === k) solderDome(ctx, sf, (padIn + padOut) / 2, 0, (padOut - padIn) * 0.42, padHw * 0.8);
        else filletX(ctx, sf, L / 2 - 0.004, padOut - 0.01, 0, W / 2 * 0.98, state.fillet[k]);
      });
      const pf = fb.child(state.pose.dx, state.pose.dy, state.pose.rot);
      if (!state.present) return { frame: pf, body: null };
      if (state.tombstone) {
        // Stand the part on the other end: frame with the standing end at -x.
        const tf = state.tombstone.end === 1 ? pf : pf.child(0, 0, Math.PI);
        drawTombstone(ctx, tf, L, W, cap, thickness, state.tombstone.tilt, look, capTone, seed);
        return { frame: tf, body: null };
      }
      contactShadow(ctx, pf.rect(0, 0, L / 2 + 0.006, W / 2 + 0.006, 0, 0.01), 0.4, Math.max(1, pf.px(0.02)));
      for (const s of [-1, 1]) {
        const x0 = s * (L / 2 - cap);
        const x1 = s * (L / 2);
        ctx.canvas.fill(pf.box(Math.min(x0, x1), -W / 2, Math.max(x0, x1), W / 2, cap * 0.15), metalPaint(pf, -W / 2, W / 2, capTone));
      }
      const body = pf.box(-L / 2 + cap, -W / 2, L / 2 - cap, W / 2);
      if (look.rim) {
        ctx.canvas.fill(body, look.rim);
        const inset = W * 0.09;
        ctx.canvas.fill(pf.box(-L / 2 + cap + inset * 0.6, -W / 2 + inset, L / 2 - cap - inset * 0.6, W / 2 - inset), look.top(pf, ctx.tones));
      } else {
        ctx.canvas.fill(body, look.top(pf, ctx.tones));
      }
      if (look.marking) drawText(ctx.canvas, pf, look.marking.text, 0, 0, look.marking.cell, look.marking.color);
      sides.forEach((sf, k) => {
        const e = state.excess[k] ?? 0;
        // Excess solder swallows the end cap and spills past the pad.
        if (e > 0) solderDome(ctx, sf, L / 2 - cap * 0.3 + look.padExt * 0.45, 0, (cap + look.padExt) * 0.5 * (1 + 0.3 * e), (W / 2) * (1 + 0.12 * e));
      });
      return { frame: pf, body };
    },
  };
}

/**
 * Top view of a chip standing at `tilt` radians on its -x end, pivoting about the outer bottom edge: its top face
 * foreshortened to length*cos(tilt) and the lifted end cap's face, lit from above.
 */
function drawTombstone(ctx: DrawContext, f: Frame, L: number, W: number, cap: number, T: number, tilt: number, look: ChipLook, capTone: Rgb, seed: number): void {
  const c = Math.cos(tilt);
  const s = Math.sin(tilt);
  const x0 = -L / 2 - T * s;
  const xTop = x0 + L * c;
  const xEnd = -L / 2 + L * c;
  ctx.canvas.fill(f.box(x0, -W / 2 - 0.01, xEnd + 0.09, W / 2 + 0.015), [0, 0, 0], { alpha: 0.35, soft: Math.max(1, f.px(0.03)) });
  const shade = 0.55 + 0.35 * c;
  ctx.canvas.fill(f.box(x0, -W / 2, x0 + cap * c, W / 2), metalPaint(f, -W / 2, W / 2, scaleRgb(capTone, shade)));
  const topPaint = look.top(f, ctx.tones);
  const dim: PaintFn =
    typeof topPaint === 'function'
      ? (x, y, out) => {
          topPaint(x, y, out);
          out[0] = (out[0] as number) * shade;
          out[1] = (out[1] as number) * shade;
          out[2] = (out[2] as number) * shade;
        }
      : speckledPaint(scaleRgb(topPaint, shade), 0, seed);
  ctx.canvas.fill(f.box(x0 + cap * c, -W / 2, xTop - cap * c, W / 2), look.rim ? scaleRgb(look.rim, shade) : dim);
  if (look.rim) ctx.canvas.fill(f.box(x0 + cap * c + 0.01 * c, -W / 2 + W * 0.09, xTop - cap * c - 0.01 * c, W / 2 - W * 0.09), dim);
  ctx.canvas.fill(f.box(xTop - cap * c, -W / 2, xTop, W / 2), metalPaint(f, -W / 2, W / 2, scaleRgb(capTone, shade)));
  ctx.canvas.fill(f.box(xTop, -W / 2, xEnd, W / 2, 0.004), metalPaint(f, -W / 2, W / 2, scaleRgb(capTone, 0.98)));
}

export const CAPACITOR = chipModel('CAPACITOR', 'C12', ['missing_component', 'shift', 'tombstone', 'insufficient_solder', 'excess_solder', 'foreign_material'], (rng) => {
  const base: Rgb = [0.7 * rng.uniform(0.96, 1.04), 0.55 * rng.uniform(0.96, 1.04), 0.37 * rng.uniform(0.95, 1.05)];
  const seed = rng.nextU32() | 0;
  return { length: 0.5, width: 0.27, cap: 0.1, padExt: 0.1, darkBody: false, top: () => speckledPaint(base, 0.05, seed) };
});

export const RESISTOR = chipModel('RESISTOR', 'R7', ['missing_component', 'rotation', 'tombstone', 'excess_solder', 'solder_ball', 'scratch'], (rng) => {
  const seed = rng.nextU32() | 0;
  const black: Rgb = [0.1, 0.1, 0.11];
  return {
    length: 0.5,
    width: 0.25,
    cap: 0.08,
    padExt: 0.1,
    darkBody: true,
    rim: [0.82, 0.82, 0.78],
    top: (f) => epoxyPaint(black, f, 0.17, 0.1, seed),
    marking: { text: '103', cell: 0.024, color: [0.86, 0.86, 0.82] },
  };
});

export const INDUCTOR = chipModel('INDUCTOR', 'L3', ['missing_component', 'shift', 'tombstone', 'insufficient_solder', 'foreign_material'], (rng) => {
  const base: Rgb = scaleRgb([0.4, 0.41, 0.43], rng.uniform(0.95, 1.05));
  const seed = rng.nextU32() | 0;
  return { length: 0.52, width: 0.34, cap: 0.11, padExt: 0.09, darkBody: true, top: () => speckledPaint(base, 0.14, seed) };
});
