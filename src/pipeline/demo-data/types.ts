// Names and shared types of the procedural SMT demo data: categories, defect types, the per-image part state
// that defects edit, and the interface every category model implements. Declarations only, no drawing.
import type { Canvas, Rgb } from './canvas.js';
import type { Frame } from './frame.js';
import type { Rng } from '../core/random.js';
import type { Point, Shape } from './shapes.js';

export const DEMO_CATEGORIES = [
  'BGA',
  'CAPACITOR',
  'RESISTOR',
  'INDUCTOR',
  'QFN',
  'QFP',
  'SOIC',
  'SOT',
  'SOD',
  'DPAK',
  'ALUMINUM_CAPACITOR',
] as const;
export type DemoCategory = (typeof DEMO_CATEGORIES)[number];

export const DEMO_DEFECT_TYPES = [
  'missing_component',
  'shift',
  'rotation',
  'tombstone',
  'solder_bridge',
  'insufficient_solder',
  'excess_solder',
  'solder_ball',
  'foreign_material',
  'scratch',
  'missing_polarity_mark',
  'bent_lead',
] as const;
export type DemoDefectType = (typeof DEMO_DEFECT_TYPES)[number];

/** Per-image colours before lighting (all jittered a little around a nominal look). */
export interface Tones {
  board: Rgb;
  trace: Rgb;
  silk: Rgb;
  gold: Rgb;
  /** Brightness of reflowed solder highlights, about 0.9. */
  solder: number;
  /** Tin-plated lead metal. */
  tin: Rgb;
  /** Black epoxy moulding. */
  epoxy: Rgb;
}

export interface Pose {
  dx: number;
  dy: number;
  rot: number;
}

/** What a category draws; the defaults describe a good joint everywhere, defects edit a copy. */
export interface PartState {
  present: boolean;
  /** Placement of the part relative to its footprint, in board units / radians. */
  pose: Pose;
  /** Per terminal: 1 = normal fillet, < 1 = insufficient solder. */
  fillet: number[];
  /** Per terminal: 0 = none, > 0 = size of an excess-solder blob. */
  excess: number[];
  bridge: { a: number; b: number; width: number } | null;
  /** A bent lead: foot moved sideways by `along` lead widths and lifted by `lift` in [0,1]. */
  bent: { terminal: number; along: number; lift: number } | null;
  tombstone: { end: 0 | 1; tilt: number } | null;
  polarityMark: boolean;
}

/** Geometry that defect sampling needs to know about a part (board units, footprint frame). */
export interface PartLayout {
  terminals: number;
  /** Pairs of neighbouring terminals that a solder bridge can join. */
  bridgePairs: readonly (readonly [number, number])[];
  /** Terminals with a gull-wing lead that can be bent. */
  leads: readonly number[];
  /** Half size of the part's top surface (part frame), where scratches go. */
  body: { hw: number; hh: number };
  /** Half size of the whole part with pads (footprint frame), kept free of solder balls. */
  extent: { hw: number; hh: number };
  /** Whether the top surface is dark (scratches show light) or light (scratches show dark). */
  darkBody: boolean;
  /** Outer ends of pads with their outward direction, for traces on the board. */
  anchors: readonly { at: Point; dir: Point }[];
}

export interface DrawContext {
  canvas: Canvas;
  /** Footprint frame: board units, centred on the footprint. */
  board: Frame;
  tones: Tones;
}

export interface DrawnPart {
  /** The part frame used for the part (after pose). */
  frame: Frame;
  /** The top surface in pixels, for clipping scratches; null when nothing is there. */
  body: Shape | null;
}

/** One sampled component: its layout and how to draw it under a given state. Drawing must be deterministic. */
export interface PartInstance {
  layout: PartLayout;
  draw(ctx: DrawContext, state: PartState): DrawnPart;
}

export interface CategoryModel {
  name: DemoCategory;
  /** The defect types this category can show (at least three). */
  defects: readonly DemoDefectType[];
  /** Silkscreen reference designator printed next to the part. */
  refdes: string;
  create(rng: Rng, tones: Tones): PartInstance;
}
