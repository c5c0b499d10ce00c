// A perfmap's reference to another artifact version (submodel or classifier): where it was, where it is
// relative to the perfmap, and the sha256 of its manifest, so infer loads exactly that version or refuses.
import { stat } from 'node:fs/promises';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import type { LoadedArtifact } from '../artifacts/index.js';
import { MANIFEST_FILE } from '../artifacts/index.js';
import { sha256File } from '../artifacts/files.js';
import { MadenetError } from '../core/errors.js';

export interface ArtifactPointer {
  kind: string;
  category: string;
  version: number;
  /** Absolute vNNNN directory when the perfmap was built. */
  dir: string;
  /** The same directory relative to the perfmap's own vNNNN directory (survives moving the whole root). */
  relativeDir: string;
  /** sha256 of the artifact's manifest.json, which itself holds the sha256 of every other file. */
  manifestSha256: string;
}

/** `perfmapVersionDir` is where the perfmap will live (any vNNNN under <out>/perfmap/all: same depth). */
export async function pointerTo(artifact: LoadedArtifact, perfmapVersionDir: string): Promise<ArtifactPointer> {
  const dir = resolve(artifact.dir);
  const { sha256 } = await sha256File(join(dir, MANIFEST_FILE));
  return {
    kind: artifact.manifest.kind,
    category: artifact.manifest.category,
    version: artifact.manifest.version,
    dir,
    relativeDir: relative(resolve(perfmapVersionDir), dir).split(sep).join('/'),
    manifestSha256: sha256,
  };
}

/**
 * The directory holding exactly the pointed-to version: beside the perfmap first (a copied artifact root),
 * then the absolute path it was built with. A manifest that differs is refused with E_PERFMAP.
 */
export async function resolvePointer(p: ArtifactPointer, perfmapDir: string): Promise<string> {
  const candidates = [...new Set([isAbsolute(p.relativeDir) ? p.relativeDir : resolve(perfmapDir, p.relativeDir), p.dir])];
  let changed: string | null = null;
  for (const dir of candidates) {
    const manifest = join(dir, MANIFEST_FILE);
    if (!(await stat(manifest).then((s) => s.isFile(), () => false))) continue;
    const { sha256 } = await sha256File(manifest);
    if (sha256 === p.manifestSha256) return dir;
    changed = dir;
  }
  const what = `${p.kind} artifact ${p.category} v${String(p.version).padStart(4, '0')}`;
  if (changed !== null) {
    throw new MadenetError('E_PERFMAP', `The ${what} at ${changed} is not the version the perfmap in ${perfmapDir} was built with (its manifest.json changed); expected sha256 ${p.manifestSha256}.`, {
      suggestions: ['Rebuild the performance map with `madenet build-perfmap` for the artifacts you have now.'],
    });
  }
  throw new MadenetError('E_PERFMAP', `The ${what} referenced by the perfmap in ${perfmapDir} is missing; expected it at ${candidates.join(' or ')}.`, {
    suggestions: ['Copy the whole artifact root (submodels and perfmap together), or rebuild the performance map.'],
  });
}
