// QFN: a square moulded body with no leads; terminals show as metal flanks at the body edge and the board
// pads reach out beyond it, carrying toe fillets (the part a camera sees of these joints).
import { type Rgb } from '../canvas.js';
import { drawText } from '../marking-font.js';
import { contactShadow, epoxyPaint, filletX, padX, solderDome } from '../parts-kit.js';
import type { Point } from '../shapes.js';
import type { CategoryModel, DrawContext, PartState } from '../types.js';
import { sideFrame, sideY, type LeadSpec } from './leaded-package.js';

const HALF = 0.24;
const PITCH = 0.068;
const PER_SIDE = 6;
const PAD_IN = -0.045;
const PAD_OUT = 0.085;
const PAD_HW = 0.019;

export const QFN: CategoryModel = {
  name: 'QFN',
  refdes: 'U9',
  defects: ['missing_component', 'rotation', 'solder_bridge', 'insufficient_solder', 'missing_polarity_mark'],
  create(rng) {
    const seed = rng.nextU32() | 0;
    const markTone = rng.uniform(0.5, 0.6);
    const markColor: Rgb = [markTone, markTone, markTone];
    const pads: LeadSpec[] = [];
    for (const side of [0, 1, 2, 3] as const) {
      for (let j = 0; j < PER_SIDE; j++) pads.push({ side, along: (j - (PER_SIDE - 1) / 2) * PITCH });
    }
    const pairs: [number, number][] = [];
    for (let i = 0; i + 1 < pads.length; i++) if ((pads[i] as LeadSpec).side === (pads[i + 1] as LeadSpec).side) pairs.push([i, i + 1]);
    const out: Point[] = [
      [1, 0],
      [0, 1],
      [-1, 0],
      [0, -1],
    ];
    return {
      layout: {
        terminals: pads.length,
        bridgePairs: pairs,
        leads: [],
        body: { hw: HALF, hh: HALF },
        extent: { hw: HALF + PAD_OUT, hh: HALF + PAD_OUT },
        darkBody: true,
        anchors: pads.map((p) => {
          const o = out[p.side] as Point;
          const e = HALF + PAD_OUT;
          return { at: [o[0] * e + (p.side % 2 === 0 ? 0 : p.along), o[1] * e + (p.side % 2 === 0 ? p.along : 0)] as Point, dir: o };
        }),
      },
      draw(ctx: DrawContext, state: PartState) {
        const fb = ctx.board;
        pads.forEach((p, i) => {
          const sf = sideFrame(fb, p.side);
          padX(ctx, sf, HALF + PAD_IN, HALF + PAD_OUT, sideY(p), PAD_HW);
          if (!state.present) solderDome(ctx, sf, HALF + (PAD_IN + PAD_OUT) / 2, sideY(p), (PAD_OUT - PAD_IN) * 0.42, PAD_HW * 0.8);
          else filletX(ctx, sf, HALF - 0.006, HALF + PAD_OUT - 0.008, sideY(p), PAD_HW * 0.95, state.fillet[i]);
        });
        const pf = fb.child(state.pose.dx, state.pose.dy, state.pose.rot);
        if (!state.present) {
          // The exposed thermal pad with its paste, normally hidden under the body.
          padX(ctx, fb, -HALF * 0.6, HALF * 0.6, 0, HALF * 0.6);
          solderDome(ctx, fb, 0, 0, HALF * 0.5, HALF * 0.5);
          return { frame: pf, body: null };
        }
        contactShadow(ctx, pf.rect(0, 0, HALF + 0.008, HALF + 0.008, 0, 0.01), 0.45, Math.max(1, pf.px(0.025)));
        if (state.bridge) {
          const a = pads[state.bridge.a] as LeadSpec;
          const b = pads[state.bridge.b] as LeadSpec;
          solderDome(ctx, sideFrame(fb, a.side), HALF + PAD_OUT * 0.42, (sideY(a) + sideY(b)) / 2, PAD_OUT * 0.36 * state.bridge.width, Math.abs(sideY(a) - sideY(b)) / 2 + PAD_HW);
        }
        const body = pf.rect(0, 0, HALF, HALF, 0, 0.008);
        ctx.canvas.fill(body, epoxyPaint(ctx.tones.epoxy, pf, HALF, HALF, seed));
        for (const p of pads) {
          const sf = sideFrame(pf, p.side);
          ctx.canvas.fill(sf.box(HALF - 0.014, sideY(p) - PAD_HW * 0.75, HALF, sideY(p) + PAD_HW * 0.75), ctx.tones.tin);
        }
        drawText(ctx.canvas, pf, 'NRF52', 0, -0.02, 0.014, markColor);
        drawText(ctx.canvas, pf, '832', 0, 0.08, 0.014, markColor);
        if (state.polarityMark) {
          const e = ctx.tones.epoxy;
          const r = Math.max(0.03, 1.3 / pf.scale);
          ctx.canvas.fill(pf.circle(-0.16, -0.16, r), [e[0] * 0.5, e[1] * 0.5, e[2] * 0.5]);
          ctx.canvas.fill(pf.circle(-0.16 + r * 0.1, -0.16 + r * 0.1, r * 0.78), [0.5, 0.5, 0.51]);
        }
        return { frame: pf, body };
      },
    };
  },
};
