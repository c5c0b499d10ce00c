// Signed-distance shapes in pixel coordinates (negative inside) for the demo-data rasteriser.
// Only geometry: no colour, no canvas; distances are exact for boxes, circles, capsules and polygons.
// Module-level aliases: global lookups (Math) are very slow inside Jest's vm contexts, and these run per pixel.
const { abs, cos, max, min, sin, sqrt } = Math;

export type Bounds = readonly [x0: number, y0: number, x1: number, y1: number];
export type Point = readonly [number, number];

export interface Shape {
  /** Signed distance in pixels from (x, y) to the outline: negative inside. */
  sdf(x: number, y: number): number;
  /** Pixel box that contains the whole shape (before anti-aliasing padding). */
  readonly bounds: Bounds;
}

/** A rectangle centred at (cx, cy) with half sizes hw, hh, rotated by angle (radians), corners rounded by radius. */
export function rectShape(cx: number, cy: number, hw: number, hh: number, angle = 0, radius = 0): Shape {
  const c = cos(angle);
  const s = sin(angle);
  const r = max(0, min(radius, hw, hh));
  const ex = abs(c) * hw + abs(s) * hh;
  const ey = abs(s) * hw + abs(c) * hh;
  return {
    bounds: [cx - ex, cy - ey, cx + ex, cy + ey],
    sdf(x, y) {
      const dx = x - cx;
      const dy = y - cy;
      const qx = abs(c * dx + s * dy) - (hw - r);
      const qy = abs(-s * dx + c * dy) - (hh - r);
      const ox = max(qx, 0);
      const oy = max(qy, 0);
      return sqrt(ox * ox + oy * oy) + min(max(qx, qy), 0) - r;
    },
  };
}

export function circleShape(cx: number, cy: number, r: number): Shape {
  return {
    bounds: [cx - r, cy - r, cx + r, cy + r],
    sdf: (x, y) => sqrt((x - cx) * (x - cx) + (y - cy) * (y - cy)) - r,
  };
}

/** A segment from (ax, ay) to (bx, by) thickened to radius r (round ends). */
export function capsuleShape(ax: number, ay: number, bx: number, by: number, r: number): Shape {
  const ex = bx - ax;
  const ey = by - ay;
  const ee = ex * ex + ey * ey || 1e-12;
  return {
    bounds: [min(ax, bx) - r, min(ay, by) - r, max(ax, bx) + r, max(ay, by) + r],
    sdf(x, y) {
      const wx = x - ax;
      const wy = y - ay;
      const t = max(0, min(1, (wx * ex + wy * ey) / ee));
      const dx = wx - ex * t;
      const dy = wy - ey * t;
      return sqrt(dx * dx + dy * dy) - r;
    },
  };
}

/** Any simple polygon (either winding). */
export function polygonShape(points: readonly Point[]): Shape {
  if (points.length < 3) throw new RangeError('polygonShape needs at least 3 points');
  const xs = points.map((p) => p[0]);
  const ys = points.map((p) => p[1]);
  return {
    bounds: [min(...xs), min(...ys), max(...xs), max(...ys)],
    sdf(x, y) {
      const n = points.length;
      const p0 = points[0] as Point;
      let d = (x - p0[0]) ** 2 + (y - p0[1]) ** 2;
      let sign = 1;
      for (let i = 0, j = n - 1; i < n; j = i, i++) {
        const vi = points[i] as Point;
        const vj = points[j] as Point;
        const ex = vj[0] - vi[0];
        const ey = vj[1] - vi[1];
        const wx = x - vi[0];
        const wy = y - vi[1];
        const t = max(0, min(1, (wx * ex + wy * ey) / (ex * ex + ey * ey || 1e-12)));
        const bx = wx - ex * t;
        const by = wy - ey * t;
        d = min(d, bx * bx + by * by);
        const c1 = y >= vi[1];
        const c2 = y < vj[1];
        const c3 = ex * wy > ey * wx;
        if ((c1 && c2 && c3) || (!c1 && !c2 && !c3)) sign = -sign;
      }
      return sign * sqrt(d);
    },
  };
}

/** A polyline of capsules (scratches, fibres). */
export function polylineShape(points: readonly Point[], r: number): Shape {
  const parts: Shape[] = [];
  for (let i = 1; i < points.length; i++) {
    const a = points[i - 1] as Point;
    const b = points[i] as Point;
    parts.push(capsuleShape(a[0], a[1], b[0], b[1], r));
  }
  return unionShape(parts);
}

export function unionShape(parts: readonly Shape[]): Shape {
  if (parts.length === 0) throw new RangeError('unionShape needs at least one shape');
  return {
    bounds: mergeBounds(parts.map((p) => p.bounds)),
    sdf(x, y) {
      let d = 1e300;
      for (const p of parts) d = min(d, p.sdf(x, y));
      return d;
    },
  };
}

/** The part of `a` inside `b` (bounds of `a`). */
export function intersectShape(a: Shape, b: Shape): Shape {
  return { bounds: a.bounds, sdf: (x, y) => max(a.sdf(x, y), b.sdf(x, y)) };
}

/** The part of `a` outside `b`. */
export function subtractShape(a: Shape, b: Shape): Shape {
  return { bounds: a.bounds, sdf: (x, y) => max(a.sdf(x, y), -b.sdf(x, y)) };
}

function mergeBounds(all: readonly Bounds[]): Bounds {
  let x0 = 1e300;
  let y0 = 1e300;
  let x1 = -1e300;
  let y1 = -1e300;
  for (const b of all) {
    x0 = min(x0, b[0]);
    y0 = min(y0, b[1]);
    x1 = max(x1, b[2]);
    y1 = max(y1, b[3]);
  }
  return [x0, y0, x1, y1];
}
