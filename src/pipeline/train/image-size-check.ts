// Compares the size a model trains at with the size of the images it trains on, so that a preset's default (tiny
// SRAD: 32 px) silently shrinking 64 px data is stated: a warning when the size came from the preset, and a record
// in the artifact's config either way. Reads image headers only (sharp metadata), never pixels.
import sharp from 'sharp';

export interface ImageSizeRecord {
  /** The square side the model trains at. */
  trainedAt: number;
  /** Where that side came from: --image-size, or the preset's default. */
  from: 'flag' | 'preset';
  /** Width x height of the training images looked at (the distinct sizes of up to 16 of them), e.g. ["64x64"]. */
  dataSizes: string[];
}

const LOOKED_AT = 16;

/** Image paths, or samples: a tile sample (with a region) counts as its region's size, which is what training sees. */
export async function checkImageSize(paths: readonly (string | { path: string; region?: { width: number; height: number } })[], trainedAt: number, given: boolean): Promise<{ record: ImageSizeRecord; warning: string | null }> {
  const sizes = new Set<string>();
  let largest = 0;
  for (const item of paths.slice(0, LOOKED_AT)) {
    const region = typeof item === 'string' ? undefined : item.region;
    // An unreadable header is the decoder's error to report, with its own code, when training reads the image.
    const meta = region ?? (await sharp(typeof item === 'string' ? item : item.path).metadata().catch(() => null));
    if (!meta?.width || !meta.height) continue;
    sizes.add(`${meta.width}x${meta.height}`);
    largest = Math.max(largest, meta.width, meta.height);
  }
  const record: ImageSizeRecord = { trainedAt, from: given ? 'flag' : 'preset', dataSizes: [...sizes].sort() };
  const mismatch = sizes.size > 0 && [...sizes].some((s) => s !== `${trainedAt}x${trainedAt}`);
  const warning =
    mismatch && !given
      ? `Training at ${trainedAt} px (the preset's default) on ${record.dataSizes.join(', ')} px images, which are resized to it; pass --image-size ${largest} to train at the data's size, or --image-size ${trainedAt} to keep this one without this warning.`
      : null;
  return { record, warning };
}
