// Files infer writes beside predictions.jsonl, in folders that mirror the input tree (relative to the input's root:
// the --input directory, a glob's fixed prefix, or the working directory for lists), so names never collide across
// categories and a file is found where its image is: maps/<rel>.npy ([H,W] float32), masks/<rel>_mask.png (the
// binary predicted mask, 0 or 255) and overlays/<rel>.png (heatmap, verdict, score, threshold and colour scale).
// Every file is complete (temp + rename) before the line that names it is appended.
import { readdir, unlink, mkdir } from 'node:fs/promises';
import { dirname, extname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import sharp from 'sharp';
import { encodePng } from '../io/decode.js';
import type { RgbImage } from '../io/image.js';
import { writeNpy } from '../io/npy.js';
import { drawText, textWidth } from './pixel-font.js';
import { writeFileAtomic } from '../io/atomic-write.js';

export const MAPS_DIR = 'maps';
export const MASKS_DIR = 'masks';
export const OVERLAYS_DIR = 'overlays';

/**
 * The image's place under an output folder: its path relative to `root`, each segment made safe, its extension
 * kept unless it is .png (x.png -> x, x.jpg -> x.jpg) so x.png and x.jpg of one folder stay apart. A file outside
 * `root` goes under "_outside/" with its absolute path.
 */
export function mirrorPath(file: string, root: string): string {
  const abs = resolve(file);
  let rel = relative(resolve(root), abs);
  if (rel === '' || rel.startsWith('..') || isAbsolute(rel)) rel = `_outside${sep}${abs.replace(/^[A-Za-z]:/, '').replace(/^[\\/]+/, '')}`;
  const parts = rel.split(/[\\/]+/).map((p) => p.replace(/[^A-Za-z0-9._-]/g, '_').replace(/^\.+$/, '_') || '_');
  const last = parts.pop() as string;
  const stem = extname(last).toLowerCase() === '.png' ? last.slice(0, -4) || '_' : last;
  return [...parts, stem].join('/');
}

/** Writes an [size, width] map (width defaults to size: square maps; tiled maps are not square). */
export async function writeMap(outDir: string, rel: string, map: Float32Array, size: number, width = size): Promise<string> {
  const name = `${MAPS_DIR}/${rel}.npy`;
  await mkdir(dirname(join(outDir, name)), { recursive: true });
  await writeNpy(join(outDir, name), map, [size, width]);
  return name;
}

/** masks/<rel>_mask.png: 255 where the map reaches `threshold`, else 0 (one grey channel, the map's [size, width]). */
export async function writeMask(outDir: string, rel: string, map: Float32Array, size: number, threshold: number, width = size): Promise<string> {
  const name = `${MASKS_DIR}/${rel}_mask.png`;
  const pixels = Buffer.alloc(size * width);
  for (let i = 0; i < pixels.length; i++) pixels[i] = (map[i] as number) >= threshold ? 255 : 0;
  await writeFileAtomic(join(outDir, name), await sharp(pixels, { raw: { width, height: size, channels: 1 } }).toColourspace('b-w').png().toBuffer());
  return name;
}

export interface OverlayLabel {
  score: number;
  threshold: number;
  label: 0 | 1;
  /** Map value where the predicted mask starts, marked on the colour scale; null when unknown. */
  maskThreshold: number | null;
}

export async function writeOverlay(outDir: string, rel: string, image: RgbImage, map: Float32Array, size: number, range: { lo: number; hi: number }, label?: OverlayLabel): Promise<string> {
  const name = `${OVERLAYS_DIR}/${rel}.png`;
  const picture = heatmapOverlay(image, map, size, range);
  await writeFileAtomic(join(outDir, name), await encodePng(label ? labelledOverlay(picture, range, label) : picture));
  return name;
}

/** Deletes the *.tmp files a killed run left in maps/, masks/ and overlays/; call while holding the folder's lock. */
export async function removeOrphanTemps(outDir: string): Promise<number> {
  let removed = 0;
  for (const sub of [MAPS_DIR, MASKS_DIR, OVERLAYS_DIR]) {
    const names = await readdir(join(outDir, sub), { recursive: true }).catch(() => [] as string[]);
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

/** Smallest overlay side: small maps are enlarged (nearest) so the labels under them stay legible. */
export const MIN_OVERLAY_SIDE = 256;

/**
 * The overlay enlarged to at least MIN_OVERLAY_SIDE, with a band under it: the jet colour scale from range.lo to
 * range.hi (a white tick where the predicted mask starts), its end values, and the verdict with score and
 * threshold (red ANOMALY or green NORMAL).
 */
export function labelledOverlay(picture: RgbImage, range: { lo: number; hi: number }, label: OverlayLabel): RgbImage {
  const factor = Math.max(1, Math.ceil(MIN_OVERLAY_SIDE / picture.width));
  const w = picture.width * factor;
  const h0 = picture.height * factor;
  const k = Math.max(2, Math.floor(w / 128));
  const pad = 2 * k;
  const barH = 4 * k;
  const lineH = 5 * k;
  const height = h0 + pad + barH + pad + lineH + pad + lineH + pad;
  const out: RgbImage = { width: w, height, data: new Float32Array(w * height * 3).fill(0.12) };
  for (let y = 0; y < h0; y++) {
    for (let x = 0; x < w; x++) {
      const s = ((Math.floor(y / factor) * picture.width) + Math.floor(x / factor)) * 3;
      const o = (y * w + x) * 3;
      for (let c = 0; c < 3; c++) out.data[o + c] = picture.data[s + c] as number;
    }
  }
  const barY = h0 + pad;
  const x0 = pad;
  const x1 = w - pad;
  for (let x = x0; x < x1; x++) {
    const rgb = jet((x - x0) / Math.max(1, x1 - x0 - 1));
    for (let y = barY; y < barY + barH; y++) out.data.set(rgb, (y * w + x) * 3);
  }
  if (label.maskThreshold !== null && range.hi > range.lo) {
    const t = (label.maskThreshold - range.lo) / (range.hi - range.lo);
    if (t >= 0 && t <= 1) {
      const tx = Math.round(x0 + t * (x1 - x0 - 1));
      for (let y = barY - k; y < barY + barH + k; y++) for (let dx = 0; dx < Math.max(1, k >> 1); dx++) out.data.set([1, 1, 1], (y * w + tx + dx) * 3);
    }
  }
  const grey = [0.85, 0.85, 0.85] as const;
  const ends = { lo: formatValue(range.lo), hi: formatValue(range.hi) };
  const scaleY = barY + barH + pad;
  drawText(out, ends.lo, x0, scaleY, k, grey);
  drawText(out, 'MAP VALUE', Math.round((w - textWidth('MAP VALUE', k)) / 2), scaleY, k, grey);
  drawText(out, ends.hi, x1 - textWidth(ends.hi, k), scaleY, k, grey);
  const verdict = `${label.label ? 'ANOMALY' : 'NORMAL'}: SCORE ${formatValue(label.score)} ${label.label ? '>=' : '<'} THR ${formatValue(label.threshold)}`;
  const colour = label.label ? ([1, 0.3, 0.25] as const) : ([0.35, 0.9, 0.4] as const);
  drawText(out, verdict, x0, scaleY + lineH + pad, k, colour);
  return out;
}

/** Three significant digits, exponent form for very large or small magnitudes (the font has 'e'). */
function formatValue(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  const a = Math.abs(v);
  return a !== 0 && (a >= 1e4 || a < 1e-2) ? v.toExponential(1) : v.toFixed(a >= 100 ? 0 : a >= 10 ? 1 : 2);
}

/** The classic jet scale: blue (0) - cyan - yellow - red (1); values outside [0,1] are clamped. */
export function jet(t: number): [number, number, number] {
  const v = Number.isFinite(t) ? Math.min(1, Math.max(0, t)) : 0;
  const ch = (offset: number): number => Math.min(1, Math.max(0, 1.5 - Math.abs(4 * v - offset)));
  return [ch(3), ch(2), ch(1)];
}
