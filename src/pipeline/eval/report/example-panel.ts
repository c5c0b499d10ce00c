// One report example as a single RGB picture: image | ground truth | heatmap over the image (with the
// ground-truth outline in green). Pure pixel work on typed arrays; decoding and writing happen elsewhere.
import type { RgbImage } from '../../io/image.js';

export interface ExampleInput {
  /** The image at any size; it is resampled to the map's aspect and the panel size. */
  image: RgbImage;
  /** Null for an image-level-only prediction: the heatmap panel is left out. */
  map: Float32Array | null;
  mapWidth: number;
  mapHeight: number;
  /** Ground truth at map size (nonzero = defect), null for a normal image. */
  gt: Uint8Array | null;
  /** Score range mapped onto the colour scale (the category's pixel-score range). */
  lo: number;
  hi: number;
}

const GAP = 4;

export function examplePanel(e: ExampleInput, side = 256): RgbImage {
  const scale = side / Math.max(e.mapWidth, e.mapHeight);
  const pw = Math.max(1, Math.round(e.mapWidth * scale));
  const ph = Math.max(1, Math.round(e.mapHeight * scale));
  const panels = e.map ? 3 : 2;
  const width = pw * panels + GAP * (panels - 1);
  const data = new Float32Array(width * ph * 3).fill(1);
  const range = e.hi > e.lo ? e.hi - e.lo : 1;
  // Outline thickness in panel pixels, so that it stays visible on large panels.
  const thick = Math.max(1, Math.round(side / 128));
  const gtAt = (x: number, y: number): boolean => {
    if (!e.gt || x < 0 || y < 0 || x >= pw || y >= ph) return false;
    const mx = Math.min(e.mapWidth - 1, Math.floor(((x + 0.5) * e.mapWidth) / pw));
    const my = Math.min(e.mapHeight - 1, Math.floor(((y + 0.5) * e.mapHeight) / ph));
    return e.gt[my * e.mapWidth + mx] !== 0;
  };
  for (let y = 0; y < ph; y++) {
    const iy = Math.min(e.image.height - 1, Math.floor(((y + 0.5) * e.image.height) / ph));
    const my = Math.min(e.mapHeight - 1, Math.floor(((y + 0.5) * e.mapHeight) / ph));
    for (let x = 0; x < pw; x++) {
      const ix = Math.min(e.image.width - 1, Math.floor(((x + 0.5) * e.image.width) / pw));
      const mx = Math.min(e.mapWidth - 1, Math.floor(((x + 0.5) * e.mapWidth) / pw));
      const src = (iy * e.image.width + ix) * 3;
      const rgb = [e.image.data[src] as number, e.image.data[src + 1] as number, e.image.data[src + 2] as number];
      const row = y * width;
      set(data, (row + x) * 3, rgb);
      const inside = gtAt(x, y);
      const g = inside ? 1 : 0;
      set(data, (row + pw + GAP + x) * 3, [g, g, g]);
      if (!e.map) continue;
      const t = ((e.map[my * e.mapWidth + mx] as number) - e.lo) / range;
      const heat = jet(t);
      let edge = false;
      for (let d = 1; inside && !edge && d <= thick; d++) {
        edge = !gtAt(x - d, y) || !gtAt(x + d, y) || !gtAt(x, y - d) || !gtAt(x, y + d);
      }
      const blended = edge ? [0.1, 1, 0.1] : rgb.map((v, c) => 0.45 * v + 0.55 * (heat[c] as number));
      set(data, (row + 2 * (pw + GAP) + x) * 3, blended);
    }
  }
  return { width, height: ph, data };
}

/** Blue -> cyan -> yellow -> red colour scale for t in [0,1] (clamped). */
export function jet(t: number): [number, number, number] {
  const v = t < 0 ? 0 : t > 1 ? 1 : t;
  const r = clamp(1.5 - Math.abs(4 * v - 3));
  const g = clamp(1.5 - Math.abs(4 * v - 2));
  const b = clamp(1.5 - Math.abs(4 * v - 1));
  return [r, g, b];
}

function clamp(v: number): number {
  return v < 0 ? 0 : v > 1 ? 1 : v;
}

function set(data: Float32Array, at: number, rgb: number[]): void {
  data[at] = rgb[0] as number;
  data[at + 1] = rgb[1] as number;
  data[at + 2] = rgb[2] as number;
}
