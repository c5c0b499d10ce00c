// The image file types madenet reads (by extension) and the limits applied to untrusted input.
// Only names and numbers live here; decoding is in decode.ts, listing in glob.ts.

/** Lower-case extensions, without the dot, of the formats sharp decodes for us: PNG, JPEG, TIFF, WebP. */
export const IMAGE_EXTENSIONS = ['png', 'jpg', 'jpeg', 'tif', 'tiff', 'webp'] as const;

/** Smallest accepted side in pixels; below it no model here has a receptive field worth the name. */
export const MIN_IMAGE_SIDE = 8;

/** Largest accepted input in pixels (8192 x 8192): protects against decompression bombs. */
export const MAX_INPUT_PIXELS = 8192 * 8192;

export function isImagePath(path: string): boolean {
  const dot = path.lastIndexOf('.');
  if (dot < 0) return false;
  return (IMAGE_EXTENSIONS as readonly string[]).includes(path.slice(dot + 1).toLowerCase());
}
