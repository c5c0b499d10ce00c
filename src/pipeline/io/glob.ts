// Lists image files from a directory (recursively), a single file or a glob pattern, sorted by path.
// Does not open or decode anything; fast-glob's order is arbitrary, so results are always sorted here.
import { readdir, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import fg from 'fast-glob';
import { MadenetError } from '../core/errors.js';
import { IMAGE_EXTENSIONS, isImagePath } from './formats.js';

/** Where the MVTec AD layout keeps masks: a dataset root given as input must not have its masks scored as parts. */
export const GROUND_TRUTH_DIR = 'ground_truth';

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
    files = await walkImages(resolve(input));
  } else if (info?.isFile()) {
    files = isImagePath(input) ? [resolve(input)] : [];
  } else {
    // fast-glob wants forward slashes even on Windows.
    const pattern = input.replace(/\\/g, '/');
    // Not `absolute: true`: fast-glob then rewrites a backslash in a file name into "/" (another path).
    files = (await fg(pattern, { onlyFiles: true, caseSensitiveMatch: false })).filter(isImagePath);
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

/**
 * Images under `dir`, by their exact names: fast-glob reads a backslash in a file name as a path separator, so
 * a folder is walked here instead. Skips ground_truth folders (masks) and does not follow links to folders (loops);
 * links to files are kept when they lead to a regular file, and only regular files are listed.
 */
async function walkImages(dir: string): Promise<string[]> {
  const out: string[] = [];
  const pending = [dir];
  while (pending.length > 0) {
    const current = pending.pop() as string;
    const entries = await readdir(current, { withFileTypes: true });
    for (const e of entries) {
      const path = join(current, e.name);
      if (e.isDirectory()) {
        if (e.name !== GROUND_TRUTH_DIR) pending.push(path);
      } else if (isImagePath(e.name)) {
        if (e.isFile()) out.push(path);
        else if (e.isSymbolicLink() && (await stat(path).then((s) => s.isFile(), () => false))) out.push(path);
      }
    }
  }
  return out;
}

/** Sorts by UTF-16 code units so that the order is the same on every machine and locale. */
export function sortPaths(paths: string[]): string[] {
  return paths.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}
