// Defects of the demo data: sampling one defect's parameters for a part, applying it to the part state, and
// drawing the defects that are not part of the component (solder balls, foreign material, scratches).
import { type Rgb } from './canvas.js';
import { solderBall } from './parts-kit.js';
import type { Rng } from '../core/random.js';
import type { Point } from './shapes.js';
import type { DemoDefectType, DrawContext, DrawnPart, PartLayout, PartState } from './types.js';

export type DemoDefect =
  | { type: 'missing_component' }
  | { type: 'shift'; dx: number; dy: number }
  | { type: 'rotation'; angle: number }
  | { type: 'tombstone'; end: 0 | 1; tilt: number }
  | { type: 'solder_bridge'; a: number; b: number; width: number }
  | { type: 'insufficient_solder'; terminals: number[]; scale: number }
  | { type: 'excess_solder'; terminals: number[]; amount: number }
  | { type: 'solder_ball'; balls: { x: number; y: number; r: number }[] }
  | { type: 'foreign_material'; kind: 'fibre' | 'chunk'; points: Point[]; width: number; color: Rgb }
  | { type: 'scratch'; points: Point[]; width: number; color: Rgb }
  | { type: 'missing_polarity_mark' }
  /** `along`: sideways displacement of the foot in lead widths; `lift`: 0 (on the pad) to 1 (lifted). */
  | { type: 'bent_lead'; terminal: number; along: number; lift: number };

/** Samples the parameters of one defect of `type` for a part with `layout` in an image of `size` pixels. */
export function sampleDefect(type: DemoDefectType, rng: Rng, layout: PartLayout, size: number): DemoDefect {
  const px = 1 / size;
  switch (type) {
    case 'missing_component':
    case 'missing_polarity_mark':
      return { type };
    case 'shift': {
      const angle = rng.uniform(0, 2 * Math.PI);
      const mag = rng.uniform(0.055, 0.085);
      // Favour the axes: placement errors are mostly along x or y.
      const axis = rng.bool(0.6);
      const a = axis ? Math.round(angle / (Math.PI / 2)) * (Math.PI / 2) + rng.uniform(-0.25, 0.25) : angle;
      return { type, dx: Math.cos(a) * mag, dy: Math.sin(a) * mag };
    }
    case 'rotation':
      return { type, angle: (rng.bool() ? 1 : -1) * rng.uniform(0.14, 0.28) };
    case 'tombstone':
      return { type, end: rng.bool() ? 1 : 0, tilt: rng.uniform(0.95, 1.35) };
    case 'solder_bridge': {
      const [a, b] = rng.pick(layout.bridgePairs);
      return { type, a, b, width: rng.uniform(0.8, 1.2) };
    }
    case 'insufficient_solder': {
      const t = rng.int(layout.terminals);
      const terminals = layout.terminals > 2 && rng.bool(0.4) ? [t, (t + 1) % layout.terminals] : [t];
      return { type, terminals, scale: rng.uniform(0, 0.25) };
    }
    case 'excess_solder':
      return { type, terminals: [rng.int(layout.terminals)], amount: rng.uniform(0.7, 1.1) };
    case 'solder_ball': {
      const balls: { x: number; y: number; r: number }[] = [];
      const n = rng.intRange(1, 3);
      for (let i = 0; i < n; i++) {
        const [x, y] = pointOutside(rng, layout.extent.hw + 0.03, layout.extent.hh + 0.03);
        balls.push({ x, y, r: Math.max(rng.uniform(0.017, 0.027), 1.4 * px) });
      }
      return { type, balls };
    }
    case 'foreign_material':
      return sampleForeign(rng, px);
    case 'scratch':
      return sampleScratch(rng, layout, px);
    case 'bent_lead': {
      const terminal = rng.pick(layout.leads);
      return { type, terminal, along: (rng.bool() ? 1 : -1) * rng.uniform(0.9, 1.4), lift: rng.uniform(0.5, 1) };
    }
  }
}

/** The part state with the defect applied (a new object; the input is not changed). */
export function applyDefect(state: PartState, defect: DemoDefect): PartState {
  const s: PartState = { ...state, pose: { ...state.pose }, fillet: [...state.fillet], excess: [...state.excess] };
  switch (defect.type) {
    case 'missing_component':
      s.present = false;
      break;
    case 'shift':
      s.pose.dx += defect.dx;
      s.pose.dy += defect.dy;
      break;
    case 'rotation':
      s.pose.rot += defect.angle;
      break;
    case 'tombstone':
      s.tombstone = { end: defect.end, tilt: defect.tilt };
      break;
    case 'solder_bridge':
      s.bridge = { a: defect.a, b: defect.b, width: defect.width };
      break;
    case 'insufficient_solder':
      for (const t of defect.terminals) s.fillet[t] = defect.scale;
      break;
    case 'excess_solder':
      for (const t of defect.terminals) s.excess[t] = defect.amount;
      break;
    case 'missing_polarity_mark':
      s.polarityMark = false;
      break;
    case 'bent_lead':
      s.bent = { terminal: defect.terminal, along: defect.along, lift: defect.lift };
      break;
    case 'solder_ball':
    case 'foreign_material':
    case 'scratch':
      break;
  }
  return s;
}

/** Draws defects that lie on top of the scene rather than in the part (after the part is drawn). */
export function drawDefectOverlay(ctx: DrawContext, defect: DemoDefect, part: DrawnPart): void {
  const f = ctx.board;
  if (defect.type === 'solder_ball') {
    for (const b of defect.balls) {
      ctx.canvas.fill(f.circle(b.x + b.r * 0.25, b.y + b.r * 0.3, b.r * 1.1), [0, 0, 0], { alpha: 0.35, soft: Math.max(1, f.px(b.r * 0.6)) });
      solderBall(ctx, f, b.x, b.y, b.r);
    }
  } else if (defect.type === 'foreign_material') {
    const shadow = defect.points.map(([x, y]) => [x + 0.004, y + 0.006] as Point);
    if (defect.kind === 'fibre') {
      ctx.canvas.fill(f.polyline(shadow, defect.width), [0, 0, 0], { alpha: 0.3, soft: 2 });
      ctx.canvas.fill(f.polyline(defect.points, defect.width), defect.color);
    } else {
      ctx.canvas.fill(f.poly(shadow), [0, 0, 0], { alpha: 0.35, soft: 2 });
      const c = defect.color;
      const [cx, cy] = centroid(defect.points);
      ctx.canvas.fill(
        f.poly(defect.points),
        f.radial(cx - 0.01, cy - 0.01, 0.06, [
          [0, [c[0] * 1.35, c[1] * 1.35, c[2] * 1.35]],
          [1, [c[0] * 0.7, c[1] * 0.7, c[2] * 0.7]],
        ]),
      );
    }
  } else if (defect.type === 'scratch' && part.body) {
    ctx.canvas.fill(part.frame.polyline(defect.points, defect.width), defect.color, { clip: part.body, alpha: 0.9 });
  }
}

function sampleForeign(rng: Rng, px: number): DemoDefect {
  const kind = rng.bool(0.55) ? 'fibre' : 'chunk';
  const cx = rng.uniform(-0.25, 0.25);
  const cy = rng.uniform(-0.25, 0.25);
  if (kind === 'fibre') {
    const points: Point[] = [];
    let a = rng.uniform(0, 2 * Math.PI);
    const n = rng.intRange(5, 8);
    const step = rng.uniform(0.2, 0.34) / n;
    let x = cx;
    let y = cy;
    for (let i = 0; i < n; i++) {
      points.push([x, y]);
      a += rng.normal(0, 0.45);
      x += Math.cos(a) * step;
      y += Math.sin(a) * step;
    }
    const light = rng.bool(0.5);
    const color: Rgb = light ? [0.86, 0.84, 0.76] : [0.07, 0.06, 0.05];
    return { type: 'foreign_material', kind, points, width: Math.max(rng.uniform(0.0065, 0.011), 0.6 * px), color };
  }
  const points: Point[] = [];
  const n = rng.intRange(6, 9);
  const r = Math.max(rng.uniform(0.028, 0.045), 2.5 * px);
  for (let i = 0; i < n; i++) {
    const a = (i / n) * 2 * Math.PI;
    const rr = r * rng.uniform(0.6, 1.2);
    points.push([cx + Math.cos(a) * rr, cy + Math.sin(a) * rr * rng.uniform(0.7, 1)]);
  }
  const color: Rgb = rng.pick<Rgb>([
    [0.42, 0.3, 0.17],
    [0.55, 0.52, 0.45],
    [0.62, 0.2, 0.12],
  ]);
  return { type: 'foreign_material', kind, points, width: 0, color };
}

function sampleScratch(rng: Rng, layout: PartLayout, px: number): DemoDefect {
  const { hw, hh } = layout.body;
  const a = rng.uniform(0, Math.PI);
  const len = rng.uniform(0.6, 0.95) * Math.hypot(hw, hh);
  const cx = rng.uniform(-hw, hw) * 0.35;
  const cy = rng.uniform(-hh, hh) * 0.35;
  const points: Point[] = [];
  const n = 4;
  for (let i = 0; i <= n; i++) {
    const t = i / n - 0.5;
    const wob = rng.normal(0, 0.006);
    points.push([cx + Math.cos(a) * len * t - Math.sin(a) * wob, cy + Math.sin(a) * len * t + Math.cos(a) * wob]);
  }
  const color: Rgb = layout.darkBody ? [0.62, 0.62, 0.6] : [0.2, 0.16, 0.12];
  return { type: 'scratch', points, width: Math.max(rng.uniform(0.005, 0.009), 0.55 * px), color };
}

/** A point in the picture (|x|,|y| < 0.44) outside the box of half size (hw, hh). */
function pointOutside(rng: Rng, hw: number, hh: number): [number, number] {
  const lim = 0.44;
  for (let i = 0; i < 64; i++) {
    const x = rng.uniform(-lim, lim);
    const y = rng.uniform(-lim, lim);
    if (Math.abs(x) > hw || Math.abs(y) > hh) return [x, y];
  }
  // A part that fills the picture: use the corners, which no footprint here reaches.
  return [rng.bool() ? lim : -lim, rng.bool() ? lim : -lim];
}

function centroid(points: readonly Point[]): [number, number] {
  let x = 0;
  let y = 0;
  for (const p of points) {
    x += p[0];
    y += p[1];
  }
  return [x / points.length, y / points.length];
}
