// Finds MVTec-layout categories (a directory holding train/good/ and test/) anywhere under a data root, sorted
// by path, each with a unique name. Reads directory entries only: it decodes nothing and judges no image.
import type { Dirent } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { basename, join, relative, sep } from 'node:path';

export interface FoundCategory {
  /** Category name used for artifacts and the manifest: the folder name, or its path joined by '_' on a clash. */
  name: string;
  /** Absolute directory. */
  dir: string;
  /** Directory relative to the root, '/'-separated. */
  rel: string;
}

/** Deep enough for <root>/<collection>/<category>; a category directory is not searched further. */
export const DEFAULT_MAX_DEPTH = 4;

export async function discoverCategories(root: string, maxDepth = DEFAULT_MAX_DEPTH): Promise<FoundCategory[]> {
  const dirs: string[] = [];
  const walk = async (dir: string, depth: number): Promise<void> => {
    if (await isMvtecCategory(dir)) {
      dirs.push(dir);
      return;
    }
    if (depth >= maxDepth) return;
    const entries = await readdir(dir, { withFileTypes: true }).catch(() => [] as Dirent[]);
    for (const e of entries.filter((x) => !x.name.startsWith('.')).sort(byName)) {
      if (await isDir(join(dir, e.name), e)) await walk(join(dir, e.name), depth + 1);
    }
  };
  await walk(root, 0);
  dirs.sort();
  const rels = dirs.map((d) => relative(root, d).split(sep).join('/'));
  const counts = new Map<string, number>();
  for (const d of dirs) counts.set(basename(d), (counts.get(basename(d)) ?? 0) + 1);
  return dirs.map((dir, i) => {
    const rel = rels[i] || basename(dir);
    const clash = (counts.get(basename(dir)) ?? 0) > 1;
    return { name: clash ? rel.replaceAll('/', '_') : basename(dir), dir, rel };
  });
}

async function isMvtecCategory(dir: string): Promise<boolean> {
  return (await isDirPath(join(dir, 'train', 'good'))) && (await isDirPath(join(dir, 'test')));
}

async function isDir(path: string, e: Dirent): Promise<boolean> {
  if (e.isDirectory()) return true;
  return e.isSymbolicLink() && isDirPath(path);
}

function isDirPath(path: string): Promise<boolean> {
  return stat(path).then(
    (s) => s.isDirectory(),
    () => false,
  );
}

function byName(a: { name: string }, b: { name: string }): number {
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}
