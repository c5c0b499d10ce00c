// ALUMINUM_CAPACITOR: an electrolytic can seen from the top: a square plastic seat plate (chamfered on the +
// side), a metal can with a vent cross and a dark printed segment marking the negative side; two flat terminals.
import { type Rgb, scaleRgb } from '../canvas.js';
import { contactShadow, epoxyPaint, filletX, padX, solderDome, twoTerminalLayout } from '../parts-kit.js';
import { intersectShape, type Shape } from '../shapes.js';
import type { CategoryModel, DrawContext, PartState } from '../types.js';
import type { Frame } from '../frame.js';

const BASE = 0.29;
const CHAMFER = 0.07;
const CAN_R = 0.26;
const TERM_OUT = 0.38;
const TERM_HW = 0.035;
const PAD_IN = 0.22;
const PAD_OUT = 0.43;
const PAD_HW = 0.065;
const MARK_X = -0.135;

export const ALUMINUM_CAPACITOR: CategoryModel = {
  name: 'ALUMINUM_CAPACITOR',
  refdes: 'C4',
  defects: ['missing_component', 'rotation', 'missing_polarity_mark', 'scratch', 'foreign_material', 'excess_solder'],
  create(rng) {
    const seed = rng.nextU32() | 0;
    const plate: Rgb = scaleRgb([0.16, 0.16, 0.17], rng.uniform(0.92, 1.08));
    const can: Rgb = scaleRgb([0.8, 0.81, 0.83], rng.uniform(0.95, 1.04));
    const print: Rgb = rng.bool(0.5) ? [0.08, 0.08, 0.1] : [0.1, 0.12, 0.26];
    return {
      layout: twoTerminalLayout(PAD_OUT, { hw: CAN_R * 0.7, hh: CAN_R * 0.7 }, { hw: PAD_OUT, hh: BASE }, false),
      draw(ctx: DrawContext, state: PartState) {
        const fb = ctx.board;
        const sides = [fb.child(0, 0, Math.PI), fb];
        sides.forEach((sf, k) => {
          padX(ctx, sf, PAD_IN, PAD_OUT, 0, PAD_HW);
          if (!state.present) solderDome(ctx, sf, (PAD_IN + PAD_OUT) / 2, 0, (PAD_OUT - PAD_IN) * 0.42, PAD_HW * 0.8);
          else filletX(ctx, sf, BASE + 0.02, PAD_OUT - 0.008, 0, PAD_HW * 0.95, state.fillet[k]);
        });
        const pf = fb.child(state.pose.dx, state.pose.dy, state.pose.rot);
        if (!state.present) return { frame: pf, body: null };
        const plateShape = pf.poly([
          [-BASE, -BASE],
          [BASE - CHAMFER, -BASE],
          [BASE, -BASE + CHAMFER],
          [BASE, BASE - CHAMFER],
          [BASE - CHAMFER, BASE],
          [-BASE, BASE],
        ]);
        contactShadow(ctx, plateShape, 0.5, Math.max(1, pf.px(0.03)));
        for (const s of [-1, 1]) {
          const x0 = s * (BASE - 0.03);
          const x1 = s * TERM_OUT;
          ctx.canvas.fill(pf.box(Math.min(x0, x1), -TERM_HW, Math.max(x0, x1), TERM_HW, 0.004), scaleRgb(ctx.tones.tin, 1.02));
        }
        sides.forEach((sf, k) => {
          const x = state.excess[k] ?? 0;
          if (x > 0) solderDome(ctx, sf, (PAD_IN + PAD_OUT) / 2 + 0.02, 0, (PAD_OUT - PAD_IN) * 0.45 * (1 + 0.2 * x), PAD_HW * (1.2 + 0.5 * x));
        });
        ctx.canvas.fill(plateShape, epoxyPaint(plate, pf, BASE, BASE, seed));
        ctx.canvas.fill(pf.circle(0, 0, CAN_R + 0.01), [0, 0, 0], { alpha: 0.35, soft: Math.max(1, pf.px(0.015)) });
        ctx.canvas.fill(pf.circle(0, 0, CAN_R), scaleRgb(can, 0.6));
        const top = pf.circle(0, 0, CAN_R - 0.016);
        ctx.canvas.fill(
          top,
          pf.radial(-0.07, -0.08, CAN_R * 1.25, [
            [0, scaleRgb(can, 1.12)],
            [0.5, scaleRgb(can, 0.95)],
            [1, scaleRgb(can, 0.68)],
          ]),
        );
        const vent = scaleRgb(can, 0.45);
        ctx.canvas.fill(pf.capsule(-0.1, 0, 0.1, 0, 0.005), vent, { alpha: 0.85 });
        ctx.canvas.fill(pf.capsule(0, -0.1, 0, 0.1, 0.005), vent, { alpha: 0.85 });
        if (state.polarityMark) ctx.canvas.fill(negativeSegment(pf, top), print, { alpha: 0.92 });
        return { frame: pf, body: top };
      },
    };
  },
};

/** The printed segment of the can top on the negative (-x) side. */
function negativeSegment(pf: Frame, top: Shape): Shape {
  const [px, py] = pf.pt(MARK_X, 0);
  const nx = Math.cos(pf.angle);
  const ny = Math.sin(pf.angle);
  return intersectShape(top, { bounds: top.bounds, sdf: (x, y) => (x - px) * nx + (y - py) * ny });
}
