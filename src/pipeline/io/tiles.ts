// Tiles for small defects on large images, one meaning for every command (`--tile N`: squares of N source pixels,
// `--tile-overlap F`: the share of a tile its neighbour repeats). The grid (tileStarts/tileGrid) is the one infer's
// tiler scores; tileSamples turns images into tile Samples (a region of the file) for training, read from image
// headers only, so a training set of 20 MP images costs no more memory than one of small ones: every consumer
// decodes one tile at a time through the Sample's region.
import { MadenetError } from '../core/errors.js';
import { Rng, hashSeed } from '../core/random.js';
import type { Dataset, Sample } from './dataset-types.js';
import { decodeMask, imageSizeOf, type PixelRegion } from './decode.js';

export interface TileSpec {
  /** Tile side in source pixels (clamped to the image's sides). */
  tile: number;
  /** Fraction of a tile shared with its neighbour, in [0, 1). */
  overlap: number;
  /**
   * Most tiles kept per training image (a seeded subset beyond it), so that the number of training tiles, and
   * with it every per-sample buffer (PatchCore's patch matrix, SFAD's feature bank), stays flat in image size.
   */
  maxTilesPerImage?: number;
}

export const DEFAULT_TILE_OVERLAP = 0.25;
export const DEFAULT_MAX_TILES_PER_IMAGE = 64;

export function checkTileOptions(tile: number, overlap: number): void {
  if (!Number.isInteger(tile) || tile < 8) throw new MadenetError('E_USAGE', `--tile is ${tile}; expected an integer >= 8 (tile side in source pixels), or 0 for no tiling.`);
  if (!(overlap >= 0 && overlap < 1)) throw new MadenetError('E_USAGE', `--tile-overlap is ${overlap}; expected a number in [0, 1).`);
}

export function checkTileSpec(spec: TileSpec): void {
  checkTileOptions(spec.tile, spec.overlap);
  const m = spec.maxTilesPerImage;
  if (m !== undefined && !(Number.isInteger(m) && m >= 1)) throw new MadenetError('E_USAGE', `--max-tiles-per-image is ${m}; expected an integer >= 1.`);
}

/** Tile starts along one side: step tile x (1 - overlap), the last tile flush with the far edge. */
export function tileStarts(length: number, tile: number, overlap: number): number[] {
  if (length <= tile) return [0];
  const step = Math.max(1, Math.floor(tile * (1 - overlap)));
  const starts: number[] = [];
  for (let s = 0; s + tile < length; s += step) starts.push(s);
  starts.push(length - tile);
  return starts;
}

/** Every tile of a width x height image, row-major (top, then left); tiles are clamped to the image's sides. */
export function tileGrid(width: number, height: number, tile: number, overlap: number): PixelRegion[] {
  const tw = Math.min(tile, width);
  const th = Math.min(tile, height);
  return tileStarts(height, th, overlap).flatMap((top) => tileStarts(width, tw, overlap).map((left) => ({ left, top, width: tw, height: th })));
}

/** A sample's identity: its path, plus its region for a tile (keys of per-sample caches and seeds). */
export function sampleKey(s: Pick<Sample, 'path' | 'region'>): string {
  const r = s.region;
  return r ? `${s.path}#tile=${r.left},${r.top},${r.width}x${r.height}` : s.path;
}

/** Path order, then tiles of one image row-major. */
export function compareSamples(a: Pick<Sample, 'path' | 'region'>, b: Pick<Sample, 'path' | 'region'>): number {
  if (a.path !== b.path) return a.path < b.path ? -1 : 1;
  const ra = a.region;
  const rb = b.region;
  if (!ra || !rb) return ra ? 1 : rb ? -1 : 0;
  return ra.top - rb.top || ra.left - rb.left || ra.width - rb.width || ra.height - rb.height;
}

export interface TilingCounts {
  /** Images tiled, and the tiles they gave. */
  images: number;
  tiles: number;
  /** Defect images without a mask: which of their tiles show the defect is unknown, so they are left out. */
  droppedUnmaskedDefects: number;
  /** Defect tiles left out because their mask region is empty (the defect lies in another tile). */
  cleanDefectTiles: number;
}

/**
 * The tiles of each sample, one image at a time (headers only; a defect image's mask is read tile by tile):
 * normal images give their grid (a seeded subset of maxTilesPerImage when larger), defect images the tiles whose
 * mask shows the defect. Deterministic for a seed; within an image, row-major order.
 */
export async function* streamTileSamples(samples: Iterable<Sample> | AsyncIterable<Sample>, spec: TileSpec, seed: number, counts?: TilingCounts): AsyncGenerator<Sample> {
  checkTileSpec(spec);
  const max = spec.maxTilesPerImage ?? DEFAULT_MAX_TILES_PER_IMAGE;
  for await (const sample of samples) {
    if (sample.label === 1 && sample.maskPath === null) {
      if (counts) counts.droppedUnmaskedDefects++;
      continue;
    }
    const { width, height } = await imageSizeOf(sample.path);
    let grid = tileGrid(width, height, spec.tile, spec.overlap);
    if (grid.length > max) {
      // Seeded per image (not one stream for the list), so an image's tiles do not depend on which others are tiled.
      const keep = new Rng(hashSeed(`tiles:${sample.path}`, seed)).shuffle(grid.map((_, i) => i)).slice(0, max).sort((a, b) => a - b);
      grid = keep.map((i) => grid[i] as PixelRegion);
    }
    if (counts) counts.images++;
    for (const region of grid) {
      if (sample.label === 1 && sample.maskPath !== null) {
        const mask = await decodeMask(sample.maskPath, { region, expect: { width, height, imagePath: sample.path } });
        if (!mask.data.some((v) => v > 0)) {
          if (counts) counts.cleanDefectTiles++;
          continue;
        }
      }
      if (counts) counts.tiles++;
      yield { ...sample, region };
    }
  }
}

/** streamTileSamples collected and sorted (path, then row-major). */
export async function tileSamples(samples: readonly Sample[], spec: TileSpec, seed: number, counts?: TilingCounts): Promise<Sample[]> {
  const out: Sample[] = [];
  for await (const s of streamTileSamples(samples, spec, seed, counts)) out.push(s);
  return out.sort(compareSamples);
}

export function emptyTilingCounts(): TilingCounts {
  return { images: 0, tiles: 0, droppedUnmaskedDefects: 0, cleanDefectTiles: 0 };
}

/**
 * The dataset with the train split of `category` replaced by its tiles (the test split stays whole: it is scored
 * by infer's tiler, the stitched map and the image score over the whole). Hold-outs group tiles by image
 * (holdOut), so the tiles of a validation image are never trained on. Null spec: the dataset unchanged.
 */
export async function tileDataset<D extends Pick<Dataset, 'samples'>>(dataset: D, category: string, spec: TileSpec | null | undefined, seed: number): Promise<D & { tiling: TilingCounts | null }> {
  if (!spec) return { ...dataset, tiling: null };
  const counts = emptyTilingCounts();
  const inScope = (s: Sample): boolean => s.category === category && s.split === 'train';
  const tiles = await tileSamples(dataset.samples.filter(inScope), spec, seed, counts);
  if (counts.tiles === 0) throw new MadenetError('E_NO_IMAGES', `Tiling the train split of ${category} with --tile ${spec.tile} gave no tiles; expected normal training images (or defect images with masks).`);
  const rest = dataset.samples.filter((s) => !inScope(s));
  return { ...dataset, samples: [...rest, ...tiles], tiling: counts };
}

/** What an artifact records under config.data.tiling (infer and evaluate read `tile` and `overlap` back). */
export interface TilingRecord extends Required<TileSpec>, TilingCounts {}

export function tilingRecord(spec: TileSpec | null | undefined, counts: TilingCounts | null): TilingRecord | null {
  if (!spec || !counts) return null;
  return { tile: spec.tile, overlap: spec.overlap, maxTilesPerImage: spec.maxTilesPerImage ?? DEFAULT_MAX_TILES_PER_IMAGE, ...counts };
}
