// Tiled scoring for small defects on large images, for any submodel: overlapping tiles of `tile` source pixels are
// decoded one batch at a time (never the whole image), each scored at the model's input size; tile maps are
// stitched (overlaps averaged) into one map and the image score is the highest tile score (each tile's score first
// standardised by the normal level of its place when the model recorded a tile calibration; see io/tile-calibration).
import type { Detector } from '../detectors/detector.js';
import type { AsyncDetector } from '../engines/async-detector.js';
import { decodeRegion, imageSizeOf } from '../io/decode.js';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { tileGrid, type TilingRecord } from '../io/tiles.js';
import { checkTileCalibration, tileCalibrator, type TileCalibration } from '../io/tile-calibration.js';
import { scoreBatch } from './detector-batch.js';

export interface TileOptions {
  /** Tile side in source pixels (clamped to the image's sides). */
  tile: number;
  /** Fraction of a tile shared with its neighbour, in [0, 1). */
  overlap: number;
  /** Tiles per forward pass. */
  batchSize: number;
  /** Per-place standardisation of tile scores before their max (recorded by the trainer), or none. */
  calibration?: TileCalibration | null;
}

export interface TiledScore {
  score: number;
  /** [height, width] row-major at the model's resolution: source size x (model size / tile). */
  map: Float32Array;
  width: number;
  height: number;
  tiles: number;
}

export { checkTileOptions, tileStarts } from '../io/tiles.js';

/**
 * Scores one image file by tiles. Memory holds one batch of tiles and the stitched map (source area x
 * (model size / tile)^2 floats), never the decoded image.
 */
export async function scoreTiled(detector: Detector | AsyncDetector, path: string, opts: TileOptions): Promise<TiledScore> {
  const { width: W, height: H } = await imageSizeOf(path);
  const tw = Math.min(opts.tile, W);
  const th = Math.min(opts.tile, H);
  const s = detector.imageSize;
  // Map pixels per source pixel, per axis: each tile's s x s map covers tw x th source pixels.
  const sx = s / tw;
  const sy = s / th;
  const width = Math.max(1, Math.round(W * sx));
  const height = Math.max(1, Math.round(H * sy));
  const sum = new Float32Array(width * height);
  const count = new Uint16Array(width * height);
  const tiles = tileGrid(W, H, opts.tile, opts.overlap);
  let score = -Infinity;
  const calibrate = opts.calibration ? tileCalibrator(opts.calibration) : null;
  for (let b = 0; b < tiles.length; b += opts.batchSize) {
    const group = tiles.slice(b, b + opts.batchSize);
    const images = await Promise.all(group.map((t) => decodeRegion(path, { left: t.left, top: t.top, width: tw, height: th }, { size: s })));
    const out = await scoreBatch(detector, images, s);
    for (const [i, t] of group.entries()) {
      const raw = out.scores[i] as number;
      score = Math.max(score, calibrate ? calibrate({ left: t.left, top: t.top, width: tw, height: th }, raw) : raw);
      const x0 = Math.round(t.left * sx);
      const y0 = Math.round(t.top * sy);
      for (let y = 0; y < s && y0 + y < height; y++) {
        for (let x = 0; x < s && x0 + x < width; x++) {
          const o = (y0 + y) * width + x0 + x;
          sum[o] = (sum[o] as number) + (out.maps[i * s * s + y * s + x] as number);
          count[o] = (count[o] as number) + 1;
        }
      }
    }
  }
  for (let i = 0; i < sum.length; i++) sum[i] = (count[i] as number) > 0 ? (sum[i] as number) / (count[i] as number) : 0;
  return { score, map: sum, width, height, tiles: tiles.length };
}

const recorded = new Map<string, Promise<Omit<TileOptions, 'batchSize'> | null>>();

/**
 * The tiling a submodel artifact was trained with (config.data.tiling, written by train-* --tile, with its tile
 * calibration when recorded), or null for a model of whole images: what infer and evaluate use when --tile is not
 * given. Read once per artifact.
 */
export function modelTiling(artifactDir: string): Promise<Omit<TileOptions, 'batchSize'> | null> {
  let hit = recorded.get(artifactDir);
  if (!hit) {
    hit = readFile(join(artifactDir, 'manifest.json'), 'utf8').then((text) => {
      const t = (JSON.parse(text) as { config?: { data?: { tiling?: (TilingRecord & { calibration?: unknown }) | null } } }).config?.data?.tiling;
      if (!t || !(t.tile > 0)) return null;
      const calibration = t.calibration === undefined || t.calibration === null ? null : checkTileCalibration(t.calibration, join(artifactDir, 'manifest.json'));
      return { tile: t.tile, overlap: t.overlap, calibration };
    });
    recorded.set(artifactDir, hit);
  }
  return hit;
}
