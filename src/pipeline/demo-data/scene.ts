// One demo picture as data: sampled colours, lighting, camera and part placement (all from one seed), and the
// renderer that turns it, with or without a defect, into 8-bit RGB. Rendering itself draws no random numbers.
import { Canvas, type Rgb, scaleRgb } from './canvas.js';
import { applyDefect, drawDefectOverlay, type DemoDefect } from './defects.js';
import { Frame } from './frame.js';
import { boardLayout, drawBoard, sampleBoardLook, type BoardLayout, type BoardLook } from './board.js';
import { Rng, hashSeed } from '../core/random.js';
import type { CategoryModel, DrawContext, PartInstance, PartState, Pose, Tones } from './types.js';
// Module-level aliases: global lookups (Math) are very slow inside Jest's vm contexts, and these run per pixel.
const { cos, sin, sqrt, PI } = Math;

interface Light {
  gain: number;
  tint: Rgb;
  /** Linear fall-off across the picture: direction (unit) and amplitude. */
  gx: number;
  gy: number;
  amp: number;
  vignette: number;
}

export interface DemoScene {
  model: CategoryModel;
  size: number;
  tones: Tones;
  light: Light;
  camera: Pose;
  part: PartInstance;
  normalState: PartState;
  board: BoardLayout;
  look: BoardLook;
  /** Sensor noise, added after lighting: a hash seed and its standard deviation. */
  noiseSeed: number;
  noiseSigma: number;
}

export function buildScene(model: CategoryModel, seed: number, size: number): DemoScene {
  const rng = new Rng(hashSeed('scene', seed));
  const tones = sampleTones(rng);
  const light = sampleLight(rng);
  const camera: Pose = { dx: rng.uniform(-0.02, 0.02), dy: rng.uniform(-0.02, 0.02), rot: rng.uniform(-0.025, 0.025) };
  const jitter: Pose = { dx: rng.uniform(-0.006, 0.006), dy: rng.uniform(-0.006, 0.006), rot: rng.uniform(-0.015, 0.015) };
  const look = sampleBoardLook(rng);
  const part = model.create(rng.fork(), tones);
  const n = part.layout.terminals;
  const normalState: PartState = {
    present: true,
    pose: jitter,
    fillet: new Array<number>(n).fill(1),
    excess: new Array<number>(n).fill(0),
    bridge: null,
    bent: null,
    tombstone: null,
    polarityMark: true,
  };
  const noiseSigma = rng.uniform(0.007, 0.013);
  const noiseSeed = hashSeed('noise', seed) | 0;
  return { model, size, tones, light, camera, part, normalState, board: boardLayout(model.name, model.refdes, part.layout), look, noiseSeed, noiseSigma };
}

/** The scene as 8-bit RGB (HWC), with `defect` applied when given. */
export function renderScene(scene: DemoScene, defect: DemoDefect | null): Uint8Array {
  const { size } = scene;
  const canvas = new Canvas(size, size);
  const board = new Frame(size * (0.5 + scene.camera.dx), size * (0.5 + scene.camera.dy), scene.camera.rot, size);
  const ctx: DrawContext = { canvas, board, tones: scene.tones };
  drawBoard(ctx, scene.board, scene.look);
  const state = defect ? applyDefect(scene.normalState, defect) : scene.normalState;
  const drawn = scene.part.draw(ctx, state);
  if (defect) drawDefectOverlay(ctx, defect, drawn);
  return finish(canvas, scene);
}

function finish(canvas: Canvas, scene: DemoScene): Uint8Array {
  const { size, light, noiseSigma } = scene;
  // A clamped array rounds and clamps on store, which is exact and much cheaper than doing it by hand.
  const out = new Uint8ClampedArray(size * size * 3);
  const d = canvas.data;
  const [tr, tg, tb] = light.tint;
  const { gain, amp, gx, gy, vignette } = light;
  // Triangular sensor noise: two 10-bit uniforms per channel from a xorshift stream in pixel order (the same
  // stream for a picture and its defective twin); variance 2/3 per unit, rescaled to the sampled sigma.
  const ns = (noiseSigma / sqrt(2 / 3) / 511.5) * 255;
  let h = scene.noiseSeed | 0 || 1;
  for (let y = 0; y < size; y++) {
    const ny = ((y + 0.5) / size) * 2 - 1;
    for (let x = 0; x < size; x++) {
      const nx = ((x + 0.5) / size) * 2 - 1;
      const k = 255 * gain * (1 + amp * (nx * gx + ny * gy)) * (1 - vignette * (nx * nx + ny * ny) * 0.5);
      const i = (y * size + x) * 3;
      h ^= h << 13;
      h ^= h >>> 17;
      h ^= h << 5;
      const h1 = h;
      h ^= h << 13;
      h ^= h >>> 17;
      h ^= h << 5;
      const h2 = h;
      out[i] = (d[i] as number) * k * tr + ns * ((h1 & 1023) + (h2 & 1023) - 1023);
      out[i + 1] = (d[i + 1] as number) * k * tg + ns * (((h1 >>> 10) & 1023) + ((h2 >>> 10) & 1023) - 1023);
      out[i + 2] = (d[i + 2] as number) * k * tb + ns * (((h1 >>> 20) & 1023) + ((h2 >>> 20) & 1023) - 1023);
    }
  }
  return new Uint8Array(out.buffer);
}

function sampleTones(rng: Rng): Tones {
  const j = (c: Rgb, a: number): Rgb => [c[0] * rng.uniform(1 - a, 1 + a), c[1] * rng.uniform(1 - a, 1 + a), c[2] * rng.uniform(1 - a, 1 + a)];
  const board = j([0.1, 0.34, 0.2], 0.06);
  return {
    board,
    trace: [board[0] * 1.25 + 0.04, board[1] * 1.22 + 0.03, board[2] * 1.05],
    silk: j([0.9, 0.9, 0.86], 0.03),
    gold: j([0.86, 0.67, 0.32], 0.04),
    solder: rng.uniform(0.86, 0.94),
    tin: scaleRgb([0.74, 0.75, 0.76], rng.uniform(0.95, 1.05)),
    epoxy: scaleRgb([0.11, 0.11, 0.12], rng.uniform(0.9, 1.1)),
  };
}

function sampleLight(rng: Rng): Light {
  const a = rng.uniform(0, 2 * PI);
  return {
    gain: rng.uniform(0.92, 1.08),
    tint: [rng.uniform(0.97, 1.03), rng.uniform(0.97, 1.03), rng.uniform(0.97, 1.03)],
    gx: cos(a),
    gy: sin(a),
    amp: rng.uniform(0, 0.1),
    vignette: rng.uniform(0.04, 0.14),
  };
}
