// Drawing helpers shared by the category models: pads, solder fillets and domes, gull-wing leads, shadows
// and moulded bodies. Helpers named *X draw in a frame whose +x axis points away from the part body.
import { type PaintFn, type Rgb, scaleRgb } from './canvas.js';
import type { Frame } from './frame.js';
import type { Shape } from './shapes.js';
import { grain } from './texture.js';
import type { DrawContext, PartLayout, Tones } from './types.js';
// Module-level aliases: global lookups (Math) are very slow inside Jest's vm contexts, and these run per pixel.
const { abs, max, min } = Math;

const BLACK: Rgb = [0, 0, 0];

export function solderRgb(tones: Tones, k: number): Rgb {
  const s = tones.solder * k;
  return [s * 0.98, s, s * 1.02];
}

/** A gold pad from x0 to x1 (outward), centred at y, half width hw. */
export function padX(ctx: DrawContext, f: Frame, x0: number, x1: number, y: number, hw: number): void {
  const g = ctx.tones.gold;
  ctx.canvas.fill(
    f.box(x0, y - hw, x1, y + hw, min(hw, abs(x1 - x0) / 2) * 0.25),
    f.linear(0, y - hw, 0, y + hw, [
      [0, scaleRgb(g, 1.05)],
      [1, scaleRgb(g, 0.88)],
    ]),
  );
}

/**
 * A wetted solder fillet on a pad, starting at the part (x0) and running outward to x1: bright where it
 * climbs the part, darker where it flattens. scale < 1 leaves part of the pad bare (insufficient solder).
 */
export function filletX(ctx: DrawContext, f: Frame, x0: number, x1: number, y: number, hw: number, scale = 1): void {
  if (scale <= 0.02) return;
  const len = (x1 - x0) * min(scale, 1);
  const h = hw * (0.5 + 0.5 * min(scale, 1));
  const t = ctx.tones;
  ctx.canvas.fill(
    f.box(x0, y - h, x0 + len, y + h, min(h, abs(len)) * 0.5),
    f.linear(x0, y, x0 + len, y, [
      [0, solderRgb(t, 1.06)],
      [0.3, solderRgb(t, 0.86)],
      [0.75, solderRgb(t, 0.62)],
      [1, solderRgb(t, 0.52)],
    ]),
  );
}

/** A domed blob of solder (reflowed paste on a bare pad, excess solder, bridges) with a highlight. */
export function solderDome(ctx: DrawContext, f: Frame, cx: number, cy: number, hw: number, hh: number): void {
  const t = ctx.tones;
  const r = max(hw, hh);
  ctx.canvas.fill(
    f.rect(cx, cy, hw, hh, 0, min(hw, hh) * 0.85),
    f.radial(cx - hw * 0.25, cy - hh * 0.25, r * 1.25, [
      [0, solderRgb(t, 1.1)],
      [0.3, solderRgb(t, 0.9)],
      [0.8, solderRgb(t, 0.55)],
      [1, solderRgb(t, 0.42)],
    ]),
  );
}

/** A spherical solder ball seen from above: dark rim, bright specular spot. */
export function solderBall(ctx: DrawContext, f: Frame, cx: number, cy: number, r: number, alpha = 1): void {
  const t = ctx.tones;
  ctx.canvas.fill(f.circle(cx, cy, r), solderRgb(t, 0.35), { alpha });
  ctx.canvas.fill(
    f.circle(cx, cy, r * 0.85),
    f.radial(cx - r * 0.3, cy - r * 0.3, r * 1.1, [
      [0, solderRgb(t, 1.12)],
      [0.35, solderRgb(t, 0.88)],
      [1, solderRgb(t, 0.5)],
    ]),
    { alpha },
  );
}

/**
 * A gull-wing lead leaving the body edge at xEdge: a darker sloping shoulder of length `knee`, then a flat
 * foot out to xEdge + len. `footShift` moves the foot sideways by that many lead widths (bent lead), `lift`
 * in [0,1] shortens and brightens it and casts its shadow on the board.
 */
export function gullWingX(
  ctx: DrawContext,
  f: Frame,
  xEdge: number,
  y: number,
  len: number,
  hw: number,
  knee: number,
  footShift = 0,
  lift = 0,
): void {
  const tin = ctx.tones.tin;
  const xk = xEdge + knee;
  const xe = xEdge + len * (1 - 0.35 * lift);
  const yf = y + footShift * 2 * hw;
  if (lift > 0) {
    ctx.canvas.fill(f.box(xk + hw * lift, yf - hw * 0.6, xe + hw * lift, yf + hw * 1.4), [0, 0, 0], { alpha: 0.4 * lift, soft: max(1, f.px(hw * 0.8)) });
  }
  ctx.canvas.fill(
    f.poly([
      [xEdge, y - hw],
      [xk, yf - hw],
      [xk, yf + hw],
      [xEdge, y + hw],
    ]),
    f.linear(xEdge, y, xk, y, [
      [0, scaleRgb(tin, 0.95)],
      [1, scaleRgb(tin, 0.55 + 0.35 * lift)],
    ]),
  );
  ctx.canvas.fill(
    f.box(xk, yf - hw, xe, yf + hw, hw * 0.2),
    f.linear(xk, yf, xe, yf, [
      [0, scaleRgb(tin, 0.8 + 0.3 * lift)],
      [0.4, scaleRgb(tin, 1.08)],
      [1, scaleRgb(tin, 0.92)],
    ]),
  );
}

/** A soft dark halo under a part (ring light leaves a faint contact shadow all round). */
export function contactShadow(ctx: DrawContext, shape: Shape, strength = 0.35, softPx = 3): void {
  ctx.canvas.fill(shape, BLACK, { alpha: strength, soft: softPx });
}

/** Moulded epoxy: the base colour with fine grain and a faint sheen towards the top-left. */
export function epoxyPaint(base: Rgb, f: Frame, hw: number, hh: number, seed: number): PaintFn {
  const [x0, y0] = f.pt(-hw, -hh);
  const [x1, y1] = f.pt(hw, hh);
  const ex = x1 - x0;
  const ey = y1 - y0;
  const ee = ex * ex + ey * ey || 1;
  return (x, y, out) => {
    const t = ((x - x0) * ex + (y - y0) * ey) / ee;
    const k = 1.12 - 0.2 * t + 0.05 * grain(x, y, seed);
    out[0] = base[0] * k;
    out[1] = base[1] * k;
    out[2] = base[2] * k;
  };
}

/** A plain painted top surface with speckle (ceramic, ferrite). */
export function speckledPaint(base: Rgb, amount: number, seed: number): PaintFn {
  return (x, y, out) => {
    const k = 1 + amount * grain(x, y, seed);
    out[0] = base[0] * k;
    out[1] = base[1] * k;
    out[2] = base[2] * k;
  };
}

/** Brushed metal across the local y axis of f (end caps, tabs, cans). */
export function metalPaint(f: Frame, y0: number, y1: number, base: Rgb): PaintFn {
  return f.linear(0, y0, 0, y1, [
    [0, scaleRgb(base, 0.78)],
    [0.3, scaleRgb(base, 1.1)],
    [0.7, scaleRgb(base, 0.95)],
    [1, scaleRgb(base, 0.72)],
  ]);
}

/** A two-terminal part's layout (chip parts, the electrolytic can): pads out to ±padOut on x, no leads to bend or bridge. */
export function twoTerminalLayout(padOut: number, body: PartLayout['body'], extent: PartLayout['extent'], darkBody: boolean): PartLayout {
  return {
    terminals: 2,
    bridgePairs: [],
    leads: [],
    body,
    extent,
    darkBody,
    anchors: [
      { at: [-padOut, 0], dir: [-1, 0] },
      { at: [padOut, 0], dir: [1, 0] },
    ],
  };
}
