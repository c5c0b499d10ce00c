// BGA: a square package (substrate with a moulded cap) whose outer rows of solder balls show through the
// substrate rim, as on a backlit/X-ray-like AOI view; the pads of the ball grid lie under it on the board.
import { type Rgb, scaleRgb } from '../canvas.js';
import { drawText } from '../marking-font.js';
import { contactShadow, epoxyPaint, solderBall } from '../parts-kit.js';
import { subtractShape } from '../shapes.js';
import type { CategoryModel, DrawContext, PartState } from '../types.js';

const SUB = 0.3;
const CAP = 0.17;
const PITCH = 0.05;
const BALL_R = 0.017;

export const BGA: CategoryModel = {
  name: 'BGA',
  refdes: 'U1',
  defects: ['missing_component', 'shift', 'solder_bridge', 'solder_ball', 'scratch'],
  create(rng) {
    const seed = rng.nextU32() | 0;
    const substrate: Rgb = scaleRgb([0.3, 0.33, 0.2], rng.uniform(0.94, 1.06));
    const markTone = rng.uniform(0.5, 0.6);
    const balls: [number, number][] = [];
    for (let j = -5; j <= 5; j++) {
      for (let i = -5; i <= 5; i++) {
        if (Math.max(Math.abs(i), Math.abs(j)) >= 4) balls.push([i * PITCH, j * PITCH]);
      }
    }
    // Bridges join neighbours on the outer ring, where the rim shows them.
    const pairs: [number, number][] = [];
    balls.forEach((a, i) =>
      balls.forEach((b, j) => {
        const outer = Math.max(Math.abs(a[0]), Math.abs(a[1])) > 0.24 && Math.max(Math.abs(b[0]), Math.abs(b[1])) > 0.24;
        if (j > i && outer && Math.abs(Math.hypot(a[0] - b[0], a[1] - b[1]) - PITCH) < 1e-6) pairs.push([i, j]);
      }),
    );
    return {
      layout: {
        terminals: balls.length,
        bridgePairs: pairs,
        leads: [],
        body: { hw: CAP, hh: CAP },
        extent: { hw: SUB, hh: SUB },
        darkBody: true,
        anchors: [
          { at: [SUB, 0.1], dir: [1, 0] },
          { at: [-SUB, -0.15], dir: [-1, 0] },
          { at: [0.05, SUB], dir: [0, 1] },
          { at: [-0.1, -SUB], dir: [0, -1] },
        ],
      },
      draw(ctx: DrawContext, state: PartState) {
        const fb = ctx.board;
        for (const [x, y] of balls) {
          ctx.canvas.fill(fb.circle(x, y, BALL_R * 1.25), ctx.tones.gold);
          if (!state.present) solderBall(ctx, fb, x, y, BALL_R * 1.05);
        }
        const pf = fb.child(state.pose.dx, state.pose.dy, state.pose.rot);
        if (!state.present) return { frame: pf, body: null };
        const sub = pf.rect(0, 0, SUB, SUB, 0, 0.006);
        const cap = pf.rect(0, 0, CAP, CAP, 0, 0.01);
        contactShadow(ctx, pf.rect(0, 0, SUB + 0.008, SUB + 0.008, 0, 0.01), 0.45, Math.max(1, pf.px(0.025)));
        ctx.canvas.fill(sub, epoxyPaint(substrate, pf, SUB, SUB, seed ^ 0x55));
        const rim = subtractShape(sub, cap);
        for (const [x, y] of balls) {
          ctx.canvas.fill(pf.circle(x, y, BALL_R), scaleRgb(ctx.tones.tin, 0.95), { alpha: 0.5, clip: rim });
          ctx.canvas.fill(pf.circle(x - BALL_R * 0.25, y - BALL_R * 0.25, BALL_R * 0.45), [0.95, 0.95, 0.95], { alpha: 0.35, clip: rim });
        }
        if (state.bridge) {
          const a = balls[state.bridge.a] as [number, number];
          const b = balls[state.bridge.b] as [number, number];
          ctx.canvas.fill(pf.capsule(a[0], a[1], b[0], b[1], BALL_R * 0.7 * state.bridge.width), scaleRgb(ctx.tones.tin, 1.1), { alpha: 0.7, clip: rim });
        }
        // Gold pin-1 triangle on the substrate corner.
        ctx.canvas.fill(pf.poly([[-SUB + 0.012, -SUB + 0.012], [-SUB + 0.07, -SUB + 0.012], [-SUB + 0.012, -SUB + 0.07]]), ctx.tones.gold);
        ctx.canvas.fill(cap, epoxyPaint(ctx.tones.epoxy, pf, CAP, CAP, seed));
        const mark: Rgb = [markTone, markTone, markTone];
        drawText(ctx.canvas, pf, 'K4B', 0, -0.05, 0.013, mark);
        drawText(ctx.canvas, pf, '2G16', 0, 0.045, 0.013, mark);
        return { frame: pf, body: cap };
      },
    };
  },
};

