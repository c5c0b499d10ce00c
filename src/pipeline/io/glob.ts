// Lists image files from a directory (recursively), a single file or a glob pattern, sorted by path.
// Does not open or decode anything; fast-glob's order is arbitrary, so results are always sorted here.
import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import fg from 'fast-glob';
import { MadenetError } from '../core/errors.js';
import { IMAGE_EXTENSIONS, isImagePath } from './formats.js';

const IMAGE_PATTERN = `**/*.{${IMAGE_EXTENSIONS.join(',')}}`;

export interface ListImagesOptions {
  /**
   * An existing directory without images, or a glob matching none, gives [] instead of E_NO_IMAGES (infer: nothing
   * new is a quiet day, as an empty list on stdin is); a plain path that does not exist is still E_NOT_FOUND.
   */
  allowEmpty?: boolean;
}

/** Absolute paths of the images under `input`, sorted by code unit (locale-independent). Throws E_NO_IMAGES. */
export async function listImages(input: string, opts: ListImagesOptions = {}): Promise<string[]> {
  const info = await stat(input).catch(() => undefined);
  if (opts.allowEmpty && !info && !fg.isDynamicPattern(input.replace(/\\/g, '/'))) {
    throw new MadenetError('E_NOT_FOUND', `${input} does not exist; expected a directory, an image file or a glob pattern.`, {
      suggestions: ['Check the path; quote glob patterns so that the shell does not expand them.'],
    });
  }
  let files: string[];
  if (info?.isDirectory()) {
    // The directory goes in `cwd`, not in the pattern, so names like "lot[1]" are not read as glob syntax.
    files = await fg(IMAGE_PATTERN, { cwd: input, absolute: true, onlyFiles: true, caseSensitiveMatch: false });
  } else if (info?.isFile()) {
    files = isImagePath(input) ? [resolve(input)] : [];
  } else {
    // fast-glob wants forward slashes even on Windows.
    const pattern = input.replace(/\\/g, '/');
    files = (await fg(pattern, { absolute: true, onlyFiles: true, caseSensitiveMatch: false })).filter(isImagePath);
  }
  if (files.length === 0 && !opts.allowEmpty) {
    throw new MadenetError(
      'E_NO_IMAGES',
      `No images found at ${input}; expected a directory, file or glob pattern matching .${IMAGE_EXTENSIONS.join('/.')} files.`,
      { suggestions: ['Check the path; quote glob patterns so that the shell does not expand them.'] },
    );
  }
  return sortPaths(files.map((f) => resolve(f)));
}

/** Sorts by UTF-16 code units so that the order is the same on every machine and locale. */
export function sortPaths(paths: string[]): string[] {
  return paths.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}
