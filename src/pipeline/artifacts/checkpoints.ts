// Training checkpoints in the same versioned store, under <root>/checkpoints/<kind>/<category>/vNNNN,
// with the same atomicity, lock and checksums; only the newest `keep` versions are kept.
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { checkSegment } from './files.js';
import { LATEST_FILE, loadArtifact, writeVersion, type ArtifactRef, type LoadedArtifact, type WriteArtifactOptions } from './store.js';

export const DEFAULT_KEEP_CHECKPOINTS = 3;

export interface WriteCheckpointOptions extends WriteArtifactOptions {
  /** Training step (or epoch) the checkpoint was taken after. */
  step: number;
  /** Small JSON state needed to resume (epoch, rng state, schedule position, ...). */
  state?: unknown;
  /** How many checkpoint versions to keep (default 3, at least 1). */
  keep?: number;
}

export function checkpointDir(root: string, kind: string, category: string): string {
  return join(root, 'checkpoints', checkSegment('kind', kind), checkSegment('category', category));
}

export async function writeCheckpoint(opts: WriteCheckpointOptions): Promise<ArtifactRef> {
  const { root, step, state, keep, ...rest } = opts;
  return writeVersion(checkpointDir(root, opts.kind, opts.category), rest, {
    checkpoint: { step, state: state ?? null },
    keep: keep ?? DEFAULT_KEEP_CHECKPOINTS,
  });
}

/** The newest checkpoint (verified), or null when none was written yet. */
export async function loadLatestCheckpoint(root: string, kind: string, category: string): Promise<LoadedArtifact | null> {
  const dir = checkpointDir(root, kind, category);
  const hasLatest = await stat(join(dir, LATEST_FILE)).then(() => true, () => false);
  return hasLatest ? loadArtifact(dir) : null;
}
