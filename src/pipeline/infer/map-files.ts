// Files infer writes beside predictions.jsonl: anomaly maps as maps/<stem>-<hash>.npy ([H,W] float32) and
// heatmap overlays as overlays/<stem>-<hash>.png. Names depend only on the input path, so reruns and shards
// agree; every file is complete (temp + rename) before the line that names it is appended.
import { createHash } from 'node:crypto';
import { rename, unlink, writeFile, mkdir } from 'node:fs/promises';
import { basename, dirname, extname, join } from 'node:path';
import { encodePng } from '../io/decode.js';
import type { RgbImage } from '../io/image.js';
import { writeNpy } from '../io/npy.js';

export const MAPS_DIR = 'maps';
export const OVERLAYS_DIR = 'overlays';

/** "<safe stem>-<12 hex of sha256(path)>": unique per input path, readable in a listing. */
export function fileStem(path: string): string {
  const stem = basename(path, extname(path)).replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 80) || 'image';
  return `${stem}-${createHash('sha256').update(path).digest('hex').slice(0, 12)}`;
}

/** Writes an [size, width] map (width defaults to size: square maps; tiled maps are not square). */
export async function writeMap(outDir: string, path: string, map: Float32Array, size: number, width = size): Promise<string> {
  const rel = `${MAPS_DIR}/${fileStem(path)}.npy`;
  await writeNpy(join(outDir, rel), map, [size, width]);
  return rel;
}

export async function writeOverlay(outDir: string, path: string, image: RgbImage, map: Float32Array, size: number, range: { lo: number; hi: number }): Promise<string> {
  const rel = `${OVERLAYS_DIR}/${fileStem(path)}.png`;
  const file = join(outDir, rel);
  await mkdir(dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    await writeFile(tmp, await encodePng(heatmapOverlay(image, map, size, range)));
    await rename(tmp, file);
  } catch (err) {
    await unlink(tmp).catch(() => undefined);
    throw err;
  }
  return rel;
}

/** The image (nearest-sampled to size x size) blended half and half with a jet colouring of the map over `range`. */
export function heatmapOverlay(image: RgbImage, map: Float32Array, size: number, range: { lo: number; hi: number }): RgbImage {
  const data = new Float32Array(size * size * 3);
  const span = range.hi > range.lo ? range.hi - range.lo : 1;
  for (let y = 0; y < size; y++) {
    const iy = Math.min(image.height - 1, Math.floor(((y + 0.5) * image.height) / size));
    for (let x = 0; x < size; x++) {
      const ix = Math.min(image.width - 1, Math.floor(((x + 0.5) * image.width) / size));
      const src = (iy * image.width + ix) * 3;
      const heat = jet(((map[y * size + x] as number) - range.lo) / span);
      const o = (y * size + x) * 3;
      for (let c = 0; c < 3; c++) data[o + c] = 0.5 * (image.data[src + c] as number) + 0.5 * (heat[c] as number);
    }
  }
  return { width: size, height: size, data };
}

/** The classic jet scale: blue (0) - cyan - yellow - red (1); values outside [0,1] are clamped. */
export function jet(t: number): [number, number, number] {
  const v = Number.isFinite(t) ? Math.min(1, Math.max(0, t)) : 0;
  const ch = (offset: number): number => Math.min(1, Math.max(0, 1.5 - Math.abs(4 * v - offset)));
  return [ch(3), ch(2), ch(1)];
}
