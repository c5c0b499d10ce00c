// DPAK (TO-252): a power package whose large metal tab is soldered to a big pad on one side, with two gull-wing
// leads (and the cut middle lead's stub) on the other. Terminals: 0 and 1 are the leads, 2 the tab.
import { scaleRgb } from '../canvas.js';
import { drawText } from '../marking-font.js';
import { contactShadow, epoxyPaint, filletX, gullWingX, metalPaint, padX, solderDome, solderRgb } from '../parts-kit.js';
import type { CategoryModel, DrawContext, PartState } from '../types.js';
import { sideFrame } from './leaded-package.js';

const BODY_X0 = -0.2;
const BODY_X1 = 0.12;
const BODY_HH = 0.2;
const TAB_X0 = 0.0;
const TAB_X1 = 0.3;
const TAB_HH = 0.185;
const LEAD_Y = [-0.115, 0.115];
const LEAD_LEN = 0.16;
const LEAD_HW = 0.027;
const KNEE = 0.05;
const PAD_IN = 0.075;
const PAD_OUT = 0.185;
const PAD_HW = 0.044;

export const DPAK: CategoryModel = {
  name: 'DPAK',
  refdes: 'Q3',
  defects: ['shift', 'bent_lead', 'insufficient_solder', 'solder_ball', 'foreign_material', 'scratch'],
  create(rng, tones) {
    const seed = rng.nextU32() | 0;
    const markTone = rng.uniform(0.5, 0.6);
    const tabTone = scaleRgb(tones.tin, rng.uniform(0.95, 1.03));
    const edge = -BODY_X0;
    return {
      layout: {
        terminals: 3,
        bridgePairs: [],
        leads: [0, 1],
        body: { hw: (BODY_X1 - BODY_X0) / 2, hh: BODY_HH },
        extent: { hw: edge + PAD_OUT, hh: BODY_HH + 0.04 },
        darkBody: true,
        anchors: [
          { at: [-edge - PAD_OUT, LEAD_Y[0] as number], dir: [-1, 0] },
          { at: [-edge - PAD_OUT, LEAD_Y[1] as number], dir: [-1, 0] },
          { at: [TAB_X1 + 0.07, 0.12], dir: [1, 0] },
        ],
      },
      draw(ctx: DrawContext, state: PartState) {
        const fb = ctx.board;
        const left = sideFrame(fb, 2);
        // In the -x side frame a lead at board y sits at local y = -y.
        LEAD_Y.forEach((y, i) => {
          padX(ctx, left, edge + PAD_IN, edge + PAD_OUT, -y, PAD_HW);
          if (!state.present || state.bent?.terminal === i) solderDome(ctx, left, edge + (PAD_IN + PAD_OUT) / 2, -y, (PAD_OUT - PAD_IN) * 0.4, PAD_HW * 0.78);
          else filletX(ctx, left, edge + KNEE * 0.8, edge + PAD_OUT - 0.006, -y, PAD_HW * 0.95, state.fillet[i]);
        });
        padX(ctx, fb, TAB_X0 + 0.03, TAB_X1 + 0.07, 0, TAB_HH + 0.05);
        const tabFillet = state.fillet[2] ?? 1;
        if (!state.present) {
          solderDome(ctx, fb, TAB_X0 + 0.2, 0, 0.15, TAB_HH + 0.02);
        } else if (tabFillet > 0.5) {
          ctx.canvas.fill(fb.box(TAB_X0 + 0.05, -TAB_HH - 0.025, TAB_X1 + 0.01, TAB_HH + 0.025, 0.01), solderRgb(ctx.tones, 0.68));
          filletX(ctx, fb, TAB_X1 - 0.01, TAB_X1 + 0.06, 0, TAB_HH + 0.025, tabFillet);
        } else {
          filletX(ctx, fb, TAB_X1 - 0.01, TAB_X1 + 0.06, 0, TAB_HH * 0.8, tabFillet);
        }
        const pf = fb.child(state.pose.dx, state.pose.dy, state.pose.rot);
        if (!state.present) return { frame: pf, body: null };
        contactShadow(ctx, pf.box(BODY_X0 - 0.008, -BODY_HH - 0.008, TAB_X1 + 0.008, BODY_HH + 0.008, 0.01), 0.45, Math.max(1, pf.px(0.025)));
        const pleft = sideFrame(pf, 2);
        LEAD_Y.forEach((y, i) => {
          const bent = state.bent?.terminal === i ? state.bent : null;
          gullWingX(ctx, pleft, edge, -y, LEAD_LEN, LEAD_HW, KNEE, bent?.along ?? 0, bent?.lift ?? 0);
        });
        gullWingX(ctx, pleft, edge, 0, 0.03, LEAD_HW, 0.03);
        const c = 0.035;
        ctx.canvas.fill(
          pf.poly([
            [TAB_X0, -TAB_HH],
            [TAB_X1 - c, -TAB_HH],
            [TAB_X1, -TAB_HH + c],
            [TAB_X1, TAB_HH - c],
            [TAB_X1 - c, TAB_HH],
            [TAB_X0, TAB_HH],
          ]),
          metalPaint(pf, -TAB_HH, TAB_HH, tabTone),
        );
        const body = pf.box(BODY_X0, -BODY_HH, BODY_X1, BODY_HH, 0.01);
        ctx.canvas.fill(body, epoxyPaint(ctx.tones.epoxy, pf, (BODY_X1 - BODY_X0) / 2, BODY_HH, seed));
        const mark: [number, number, number] = [markTone, markTone, markTone];
        const mx = (BODY_X0 + BODY_X1) / 2;
        drawText(ctx.canvas, pf, 'ST', mx, -0.06, 0.017, mark);
        drawText(ctx.canvas, pf, '7805', mx, 0.05, 0.017, mark);
        return { frame: pf, body };
      },
    };
  },
};
