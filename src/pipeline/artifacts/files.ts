// Small filesystem helpers for the artifact store: durable writes (fsync), streaming sha256, and the
// rules for names that become path segments. No knowledge of manifests or versions.
import { createHash } from 'node:crypto';
import { mkdir, open } from 'node:fs/promises';
import { dirname } from 'node:path';
import { MadenetError } from '../core/errors.js';
import { streamRegularFile, type SafeOpenOptions } from '../io/safe-file.js';
import { writingTo } from '../core/system-errors.js';

/** Writes and fsyncs a file, so that a rename published afterwards never exposes a half-written one. */
export async function writeFileSynced(path: string, data: Buffer | string): Promise<void> {
  await writingTo(path, async () => {
    await mkdir(dirname(path), { recursive: true });
    const fh = await open(path, 'wx');
    try {
      await fh.writeFile(data);
      await fh.sync();
    } finally {
      await fh.close();
    }
  });
}

/** fsync on a directory makes the entries created or renamed in it durable (a no-op where unsupported). */
export async function syncDir(path: string): Promise<void> {
  const fh = await open(path, 'r').catch(() => undefined);
  if (!fh) return;
  try {
    await fh.sync();
  } catch {
    // Some filesystems refuse fsync on directories; durability is then best effort.
  } finally {
    await fh.close();
  }
}

export function sha256(data: Buffer | string): string {
  return createHash('sha256').update(data).digest('hex');
}

/**
 * Streams the file through sha256, so that large weights are never held in memory just to be checked. Only a
 * regular file is read (a link to /dev/zero or a FIFO is refused, not hashed forever), inside `opts.root` if given.
 */
export async function sha256File(path: string, opts: SafeOpenOptions = {}): Promise<{ sha256: string; bytes: number }> {
  const hash = createHash('sha256');
  const bytes = await streamRegularFile(path, opts, (chunk) => hash.update(chunk));
  return { sha256: hash.digest('hex'), bytes };
}

const SEGMENT = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/** A kind, category or model name: one safe path segment. */
export function checkSegment(what: string, value: string): string {
  if (!SEGMENT.test(value)) {
    throw new MadenetError(
      'E_ARTIFACT',
      `Artifact ${what} "${value}" is not usable as a directory name; expected letters, digits, ".", "_" or "-", starting with a letter or digit.`,
    );
  }
  return value;
}

/** A file name inside an artifact: relative, forward slashes, safe segments, no "..". */
export function checkFileName(name: string): string {
  const parts = name.split('/');
  if (parts.length === 0 || parts.some((p) => !SEGMENT.test(p))) {
    throw new MadenetError(
      'E_ARTIFACT',
      `Artifact file name "${name}" is not allowed; expected a relative path of safe names separated by "/".`,
    );
  }
  return name;
}
