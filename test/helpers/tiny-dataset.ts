// Writes a tiny, deterministic dataset of real PNGs in the MVTec AD layout (and its ManuDefect-21 extension
// with train/<defect-type>) for tests: a "component" on a gradient, defects as bright blobs with masks.
import { join } from 'node:path';
import { writePng } from '../../src/pipeline/io/decode.js';
import { createImage, createMask, type Mask, type RgbImage } from '../../src/pipeline/io/image.js';
import { Rng } from '../../src/pipeline/core/random.js';

export interface TinyDatasetOptions {
  /** Category directories to create; default ['widget']. */
  categories?: string[];
  /** Square image size in pixels; default 32. */
  size?: number;
  /** Images in train/good; default 4. */
  normals?: number;
  /** Images in test/good; default equals normals. */
  testNormals?: number;
  /** Images per defect type in test/<type>; default 2. */
  defects?: number;
  /** Defect types; default ['scratch']. */
  defectTypes?: string[];
  /** Images per defect type in train/<type> (ManuDefect-21); default 0. Named train_NNN to keep mask names unique. */
  trainDefects?: number;
  seed?: number;
}

export interface TinyCategoryCounts {
  trainGood: number;
  trainDefect: number;
  testGood: number;
  testDefect: number;
}

export interface TinyDataset {
  root: string;
  categories: string[];
  defectTypes: string[];
  counts: Record<string, TinyCategoryCounts>;
}

export async function makeTinyDataset(dir: string, opts: TinyDatasetOptions = {}): Promise<TinyDataset> {
  const categories = opts.categories ?? ['widget'];
  const size = opts.size ?? 32;
  const normals = opts.normals ?? 4;
  const testNormals = opts.testNormals ?? normals;
  const defects = opts.defects ?? 2;
  const defectTypes = opts.defectTypes ?? ['scratch'];
  const trainDefects = opts.trainDefects ?? 0;
  const rng = new Rng(opts.seed ?? 0);
  const counts: Record<string, TinyCategoryCounts> = {};
  for (const [ci, category] of categories.entries()) {
    const root = join(dir, category);
    const name = (i: number): string => String(i).padStart(3, '0');
    for (let i = 0; i < normals; i++) await writePng(join(root, 'train', 'good', `${name(i)}.png`), normalImage(size, ci, rng));
    for (let i = 0; i < testNormals; i++) await writePng(join(root, 'test', 'good', `${name(i)}.png`), normalImage(size, ci, rng));
    for (const type of defectTypes) {
      const write = async (split: 'train' | 'test', stem: string): Promise<void> => {
        const { image, mask } = defectImage(size, ci, rng);
        await writePng(join(root, split, type, `${stem}.png`), image);
        await writePng(join(root, 'ground_truth', type, `${stem}_mask.png`), mask);
      };
      for (let i = 0; i < defects; i++) await write('test', name(i));
      for (let i = 0; i < trainDefects; i++) await write('train', `train_${name(i)}`);
    }
    counts[category] = {
      trainGood: normals,
      trainDefect: trainDefects * defectTypes.length,
      testGood: testNormals,
      testDefect: defects * defectTypes.length,
    };
  }
  return { root: dir, categories, defectTypes, counts };
}

/** A grey-blue gradient with a dark rectangular body and two light pads, plus a little noise. */
export function normalImage(size: number, hue: number, rng: Rng): RgbImage {
  const img = createImage(size, size);
  const lo = Math.floor(size / 4);
  const hi = size - lo;
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const g = 0.35 + 0.3 * (x / size) + 0.05 * (hue % 3);
      let rgb = [g, g, g + 0.1];
      if (x >= lo && x < hi && y >= lo && y < hi) {
        const pad = x < lo + 2 || x >= hi - 2;
        rgb = pad ? [0.85, 0.85, 0.8] : [0.15, 0.12, 0.1];
      }
      const i = (y * size + x) * 3;
      for (let c = 0; c < 3; c++) img.data[i + c] = clamp01((rgb[c] as number) + (rng.next() - 0.5) * 0.04);
    }
  }
  return img;
}

/** A normal image with a bright red disc somewhere on the body; the mask marks the disc. */
export function defectImage(size: number, hue: number, rng: Rng): { image: RgbImage; mask: Mask } {
  const image = normalImage(size, hue, rng);
  const mask = createMask(size, size);
  const r = Math.max(2, Math.floor(size / 10));
  const lo = Math.floor(size / 4) + r;
  const cx = lo + rng.int(Math.max(1, size - 2 * lo));
  const cy = lo + rng.int(Math.max(1, size - 2 * lo));
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      if ((x - cx) ** 2 + (y - cy) ** 2 > r * r) continue;
      mask.data[y * size + x] = 1;
      const i = (y * size + x) * 3;
      image.data[i] = 0.95;
      image.data[i + 1] = 0.2;
      image.data[i + 2] = 0.15;
    }
  }
  return { image, mask };
}

function clamp01(v: number): number {
  return v < 0 ? 0 : v > 1 ? 1 : v;
}
