// A moulded package with leads on some of its four sides (QFP, SOIC, SOT, SOD): pads, fillets, gull-wing
// leads, body, marking and polarity mark, with the defect states that apply to leads drawn in place.
import { type Rgb } from '../canvas.js';
import type { Frame } from '../frame.js';
import { drawText } from '../marking-font.js';
import { contactShadow, epoxyPaint, filletX, gullWingX, padX, solderDome } from '../parts-kit.js';
import type { Rng } from '../../core/random.js';
import type { Point } from '../shapes.js';
import type { DrawContext, PartInstance, PartLayout, PartState, Tones } from '../types.js';

/** side 0..3 = +x, +y, -x, -y; `along` is the lead's position along that side (board units). */
export interface LeadSpec {
  side: 0 | 1 | 2 | 3;
  along: number;
}

export type PolarityMark =
  | { kind: 'dot'; x: number; y: number; r: number }
  | { kind: 'band'; x0: number; x1: number; color: Rgb };

export interface LeadedLook {
  bodyHw: number;
  bodyHh: number;
  bodyRadius: number;
  leads: LeadSpec[];
  leadLen: number;
  leadHw: number;
  knee: number;
  /** Pad span measured outward from the body edge, and its half width. */
  padIn: number;
  padOut: number;
  padHw: number;
  marking: { lines: string[]; cell: number };
  polarity: PolarityMark | null;
}

export function sideFrame(f: Frame, side: number): Frame {
  return f.child(0, 0, (side * Math.PI) / 2);
}

/** The lead's y in its side frame (whose +x points out of that side). */
export function sideY(lead: LeadSpec): number {
  return lead.side === 0 || lead.side === 3 ? lead.along : -lead.along;
}

function edge(look: LeadedLook, side: number): number {
  return side % 2 === 0 ? look.bodyHw : look.bodyHh;
}

const OUT: readonly Point[] = [
  [1, 0],
  [0, 1],
  [-1, 0],
  [0, -1],
];

export function createLeaded(look: LeadedLook, tones: Tones, rng: Rng): PartInstance {
  const seed = rng.nextU32() | 0;
  const markTone = rng.uniform(0.5, 0.6);
  const markColor: Rgb = [markTone, markTone, markTone * 1.02];
  return {
    layout: leadedLayout(look),
    draw(ctx: DrawContext, state: PartState) {
      const fb = ctx.board;
      drawPads(ctx, look, state);
      const pf = fb.child(state.pose.dx, state.pose.dy, state.pose.rot);
      if (!state.present) return { frame: pf, body: null };
      contactShadow(ctx, pf.rect(0, 0, look.bodyHw + 0.008, look.bodyHh + 0.008, 0, look.bodyRadius), 0.45, Math.max(1, pf.px(0.025)));
      look.leads.forEach((l, i) => {
        const bent = state.bent?.terminal === i ? state.bent : null;
        gullWingX(ctx, sideFrame(pf, l.side), edge(look, l.side), sideY(l), look.leadLen, look.leadHw, look.knee, bent?.along ?? 0, bent?.lift ?? 0);
      });
      drawSolderFaults(ctx, look, state);
      const body = pf.rect(0, 0, look.bodyHw, look.bodyHh, 0, look.bodyRadius);
      ctx.canvas.fill(body, epoxyPaint(ctx.tones.epoxy, pf, look.bodyHw, look.bodyHh, seed));
      const lines = look.marking.lines;
      lines.forEach((text, k) => {
        const y = (k - (lines.length - 1) / 2) * look.marking.cell * 7;
        drawText(ctx.canvas, pf, text, 0, y, look.marking.cell, markColor);
      });
      if (state.polarityMark && look.polarity) drawPolarity(ctx, pf, look, look.polarity, tones);
      return { frame: pf, body };
    },
  };
}

/** Where the leads, pads and body lie, and which neighbouring leads a bridge may join. */
function leadedLayout(look: LeadedLook): PartLayout {
  const pairs: [number, number][] = [];
  look.leads.forEach((a, i) =>
    look.leads.forEach((b, j) => {
      if (j > i && a.side === b.side && Math.abs(a.along - b.along) < look.padHw * 6) pairs.push([i, j]);
    }),
  );
  let ex = look.bodyHw;
  let ey = look.bodyHh;
  for (const l of look.leads) {
    if (l.side % 2 === 0) ex = Math.max(ex, look.bodyHw + look.padOut);
    else ey = Math.max(ey, look.bodyHh + look.padOut);
  }
  return {
    terminals: look.leads.length,
    bridgePairs: pairs,
    leads: look.leads.map((_, i) => i),
    body: { hw: look.bodyHw, hh: look.bodyHh },
    extent: { hw: ex, hh: ey },
    darkBody: true,
    anchors: look.leads.map((l) => {
      const o = OUT[l.side] as Point;
      const e = edge(look, l.side) + look.padOut;
      const along = l.side % 2 === 0 ? [0, l.along] : [l.along, 0];
      return { at: [o[0] * e + (along[0] as number), o[1] * e + (along[1] as number)] as Point, dir: o };
    }),
  };
}

/** Each lead's pad with its fillet, or a bare solder dome where the part (or that lead) does not sit on it. */
function drawPads(ctx: DrawContext, look: LeadedLook, state: PartState): void {
  look.leads.forEach((l, i) => {
    const sf = sideFrame(ctx.board, l.side);
    const e = edge(look, l.side);
    const y = sideY(l);
    padX(ctx, sf, e + look.padIn, e + look.padOut, y, look.padHw);
    if (!state.present || state.bent?.terminal === i) {
      solderDome(ctx, sf, e + (look.padIn + look.padOut) / 2, y, (look.padOut - look.padIn) * 0.4, look.padHw * 0.78);
    } else {
      filletX(ctx, sf, e + look.knee * 0.8, e + look.padOut - 0.006, y, look.padHw * 0.95, state.fillet[i]);
    }
  });
}

/** Excess solder on the feet, and a bridge between two neighbouring leads. */
function drawSolderFaults(ctx: DrawContext, look: LeadedLook, state: PartState): void {
  const fb = ctx.board;
  const footLen = look.leadLen - look.knee;
  look.leads.forEach((l, i) => {
    const x = state.excess[i] ?? 0;
    if (x <= 0) return;
    const e = edge(look, l.side);
    const cx = e + look.knee + footLen * 0.55;
    solderDome(ctx, sideFrame(fb, l.side), cx, sideY(l), (look.padOut - look.knee) * 0.5 * (1 + 0.15 * x), look.padHw * (1.1 + 0.45 * x));
  });
  if (state.bridge) {
    const a = look.leads[state.bridge.a] as LeadSpec;
    const b = look.leads[state.bridge.b] as LeadSpec;
    const e = edge(look, a.side);
    const ya = sideY(a);
    const yb = sideY(b);
    const sf = sideFrame(fb, a.side);
    solderDome(ctx, sf, e + look.knee + footLen * 0.5, (ya + yb) / 2, footLen * 0.42 * state.bridge.width, Math.abs(ya - yb) / 2 + look.leadHw * 0.9);
  }
}

function drawPolarity(ctx: DrawContext, pf: Frame, look: LeadedLook, mark: PolarityMark, tones: Tones): void {
  if (mark.kind === 'dot') {
    // A moulded pin-1 dimple: a dark rim and a lighter, matte floor.
    // At least ~1.3 px across so that tiny pictures still show it.
    const r = Math.max(mark.r, 1.3 / pf.scale);
    const e = tones.epoxy;
    ctx.canvas.fill(pf.circle(mark.x, mark.y, r), [e[0] * 0.5, e[1] * 0.5, e[2] * 0.5]);
    ctx.canvas.fill(pf.circle(mark.x + r * 0.1, mark.y + r * 0.1, r * 0.78), [0.5, 0.5, 0.51]);
  } else {
    ctx.canvas.fill(pf.box(mark.x0, -look.bodyHh, mark.x1, look.bodyHh), mark.color);
  }
}
