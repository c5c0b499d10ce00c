// A similarity transform (translate, rotate, uniform scale) from layout units to pixels, with shape and paint
// factories in layout units. The board frame has 1 unit = image width; a part frame is a child of it.
import { linearPaint, radialPaint, type PaintFn, type Rgb } from './canvas.js';
import {
  capsuleShape,
  circleShape,
  polygonShape,
  polylineShape,
  rectShape,
  type Point,
  type Shape,
} from './shapes.js';

export class Frame {
  private readonly c: number;
  private readonly s: number;

  constructor(
    readonly ox: number,
    readonly oy: number,
    readonly angle: number,
    readonly scale: number,
  ) {
    this.c = Math.cos(angle);
    this.s = Math.sin(angle);
  }

  /** A frame at local (dx, dy), turned by dAngle relative to this one. */
  child(dx: number, dy: number, dAngle = 0): Frame {
    const [px, py] = this.pt(dx, dy);
    return new Frame(px, py, this.angle + dAngle, this.scale);
  }

  pt(x: number, y: number): [number, number] {
    return [this.ox + this.scale * (this.c * x - this.s * y), this.oy + this.scale * (this.s * x + this.c * y)];
  }

  /** A local length in pixels. */
  px(length: number): number {
    return length * this.scale;
  }

  rect(cx: number, cy: number, hw: number, hh: number, angle = 0, radius = 0): Shape {
    const [x, y] = this.pt(cx, cy);
    return rectShape(x, y, hw * this.scale, hh * this.scale, this.angle + angle, radius * this.scale);
  }

  /** Axis-aligned (in this frame) rectangle from corners. */
  box(x0: number, y0: number, x1: number, y1: number, radius = 0): Shape {
    return this.rect((x0 + x1) / 2, (y0 + y1) / 2, Math.abs(x1 - x0) / 2, Math.abs(y1 - y0) / 2, 0, radius);
  }

  circle(cx: number, cy: number, r: number): Shape {
    const [x, y] = this.pt(cx, cy);
    return circleShape(x, y, r * this.scale);
  }

  capsule(ax: number, ay: number, bx: number, by: number, r: number): Shape {
    const [x0, y0] = this.pt(ax, ay);
    const [x1, y1] = this.pt(bx, by);
    return capsuleShape(x0, y0, x1, y1, r * this.scale);
  }

  poly(points: readonly Point[]): Shape {
    return polygonShape(points.map(([x, y]) => this.pt(x, y)));
  }

  polyline(points: readonly Point[], r: number): Shape {
    return polylineShape(
      points.map(([x, y]) => this.pt(x, y)),
      r * this.scale,
    );
  }

  linear(x0: number, y0: number, x1: number, y1: number, stops: readonly (readonly [number, Rgb])[]): PaintFn {
    const [a, b] = this.pt(x0, y0);
    const [c, d] = this.pt(x1, y1);
    return linearPaint(a, b, c, d, stops);
  }

  radial(cx: number, cy: number, r: number, stops: readonly (readonly [number, Rgb])[]): PaintFn {
    const [x, y] = this.pt(cx, cy);
    return radialPaint(x, y, r * this.scale, stops);
  }
}
