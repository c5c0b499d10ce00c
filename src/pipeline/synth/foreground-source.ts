// Resolves `--foreground auto|none|DIR` to a per-image mask: computed from the image, absent, or read from
// a folder of precomputed masks matched by the image's path. The file-reading side of foreground masks.
import { access } from 'node:fs/promises';
import { basename, dirname, extname, join, relative } from 'node:path';
import { MadenetError } from '../core/errors.js';
import { decodeMask } from '../io/decode.js';
import { type Mask, type RgbImage } from '../io/image.js';
import { foregroundMaskDetailed, type ForegroundMethod } from './foreground.js';

export type ForegroundMode = 'auto' | 'none' | 'dir';

export interface ForegroundSource {
  mode: ForegroundMode;
  /** The folder, for mode 'dir'. */
  dir?: string;
  /** Mask for an image (already at the image's size), with how it was obtained. */
  maskFor(image: RgbImage, imagePath: string, categoryRoot: string): Promise<{ mask: Mask | null; method: ForegroundMethod | 'file' | 'none' }>;
}

export function foregroundSource(flag: string): ForegroundSource {
  if (flag === 'none') return { mode: 'none', maskFor: async () => ({ mask: null, method: 'none' }) };
  if (flag === 'auto') {
    return {
      mode: 'auto',
      maskFor: async (image) => {
        const r = foregroundMaskDetailed(image);
        return { mask: r.mask, method: r.method };
      },
    };
  }
  const dir = flag;
  return {
    mode: 'dir',
    dir,
    maskFor: async (image, imagePath, categoryRoot) => {
      const tried = candidates(dir, imagePath, categoryRoot);
      for (const p of tried) {
        if (await exists(p)) return { mask: await decodeMask(p, { width: image.width, height: image.height }), method: 'file' };
      }
      throw new MadenetError('E_MASK_MISSING', `No foreground mask for ${imagePath} in ${dir}; looked for ${tried.join(', ')}.`, {
        suggestions: ['Name each mask after its image (same relative path, or <stem>.png / <stem>_mask.png), or use --foreground auto.'],
      });
    },
  };
}

/** Same relative path as under the category (any image extension -> .png), then by file stem alone. */
function candidates(dir: string, imagePath: string, categoryRoot: string): string[] {
  const rel = relative(categoryRoot, imagePath);
  const stem = basename(imagePath, extname(imagePath));
  const relStem = join(dirname(rel), stem);
  return [...new Set([join(dir, rel), join(dir, `${relStem}.png`), join(dir, `${relStem}_mask.png`), join(dir, `${stem}.png`), join(dir, `${stem}_mask.png`)])];
}

async function exists(p: string): Promise<boolean> {
  return access(p).then(
    () => true,
    () => false,
  );
}
