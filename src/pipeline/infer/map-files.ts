// Files infer writes beside predictions.jsonl: anomaly maps as maps/<stem>-<hash>.npy ([H,W] float32) and
// heatmap overlays as overlays/<stem>-<hash>.png. Names depend only on the input path, so reruns and shards
// agree; every file is complete (temp + rename) before the line that names it is appended.
import { createHash } from 'node:crypto';
import { randomBytes } from 'node:crypto';
import { readdir, rename, unlink, writeFile, mkdir } from 'node:fs/promises';
import { basename, dirname, extname, join } from 'node:path';
import { encodePng } from '../io/decode.js';
import type { RgbImage } from '../io/image.js';
import { writeNpy } from '../io/npy.js';
import { writingTo } from '../cli/system-errors.js';

export const MAPS_DIR = 'maps';
export const OVERLAYS_DIR = 'overlays';

/** "<safe stem>-<12 hex of sha256(path)>": unique per input path, readable in a listing. */
export function fileStem(path: string): string {
  const stem = basename(path, extname(path)).replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 80) || 'image';
  return `${stem}-${createHash('sha256').update(path).digest('hex').slice(0, 12)}`;
}

export async function writeMap(outDir: string, path: string, map: Float32Array, size: number): Promise<string> {
  const rel = `${MAPS_DIR}/${fileStem(path)}.npy`;
  await writeNpy(join(outDir, rel), map, [size, size]);
  return rel;
}

export async function writeOverlay(outDir: string, path: string, image: RgbImage, map: Float32Array, size: number, range: { lo: number; hi: number }): Promise<string> {
  const rel = `${OVERLAYS_DIR}/${fileStem(path)}.png`;
  const file = join(outDir, rel);
  await mkdir(dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}-${randomBytes(4).toString('hex')}.tmp`;
  try {
    const png = await encodePng(heatmapOverlay(image, map, size, range));
    await writingTo(file, () => writeFile(tmp, png));
    await rename(tmp, file);
  } catch (err) {
    await unlink(tmp).catch(() => undefined);
    throw err;
  }
  return rel;
}

/** Deletes the *.tmp files a killed run left in maps/ and overlays/; call while holding the folder's lock. */
export async function removeOrphanTemps(outDir: string): Promise<number> {
  let removed = 0;
  for (const sub of [MAPS_DIR, OVERLAYS_DIR]) {
    const names = await readdir(join(outDir, sub)).catch(() => [] as string[]);
    for (const name of names) {
      if (name.endsWith('.tmp')) {
        await unlink(join(outDir, sub, name)).catch(() => undefined);
        removed++;
      }
    }
  }
  return removed;
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
