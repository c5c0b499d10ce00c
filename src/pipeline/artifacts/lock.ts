// One writer at a time per artifact directory: a lock file created atomically (link(2) of a complete temp
// file), naming its holder's pid and host. A lock whose pid is dead on this host is stale and taken over.
import { randomBytes } from 'node:crypto';
import { link, readFile, rename, unlink, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { MadenetError } from '../core/errors.js';

export const LOCK_FILE = '.lock';
/** Names of the short-lived files beside the lock (drafts, stale locks moved aside), with their pid. */
export const LOCK_DRAFT = /^\.lock\.(?:stale-)?(\d+)-[0-9a-f]+$/;

interface Holder {
  pid: number;
  host: string;
  created: string;
}

export type Release = () => Promise<void>;

/** Takes the lock on `dir` (which must exist) or throws E_LOCKED naming the lock file and its holder. */
export async function acquireLock(dir: string): Promise<Release> {
  const path = join(dir, LOCK_FILE);
  const mine = `${JSON.stringify({ pid: process.pid, host: hostname(), created: new Date().toISOString() })}\n`;
  const draft = `${path}.${process.pid}-${randomBytes(4).toString('hex')}`;
  await writeFile(draft, mine);
  try {
    for (let attempt = 0; attempt < 5; attempt++) {
      try {
        // link() fails if the lock exists, and the lock never exists without its content.
        await link(draft, path);
        return () => release(path, mine);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
      const text = await readFile(path, 'utf8').catch(() => null);
      if (text === null) continue; // released meanwhile: try again
      const holder = parseHolder(text);
      if (holder && holder.host === hostname() && !isAlive(holder.pid)) {
        await takeOver(path, text);
        continue;
      }
      throw locked(path, dir, holder);
    }
    throw locked(path, dir, null);
  } finally {
    await unlink(draft).catch(() => undefined);
  }
}

function locked(path: string, dir: string, holder: Holder | null): MadenetError {
  const who = holder ? `pid ${holder.pid} on ${holder.host}, since ${holder.created}` : 'an unknown holder';
  return new MadenetError(
    'E_LOCKED',
    `Artifact directory ${dir} is locked by ${path} (${who}); expected no other madenet writing there.`,
    {
      suggestions: [
        'Wait for the other run to finish.',
        `If that process no longer exists (for example on another machine), delete ${path}.`,
      ],
    },
  );
}

/** Moves the stale lock aside; if what moved is not what we judged stale (a new holder won), put it back. */
async function takeOver(path: string, staleText: string): Promise<void> {
  const aside = `${path}.stale-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    await rename(path, aside);
  } catch {
    return; // someone else moved it first
  }
  const moved = await readFile(aside, 'utf8').catch(() => null);
  if (moved !== staleText && moved !== null) await link(aside, path).catch(() => undefined);
  await unlink(aside).catch(() => undefined);
}

async function release(path: string, mine: string): Promise<void> {
  // Only remove the lock if it is still ours (it may have been taken over after we were presumed dead).
  const text = await readFile(path, 'utf8').catch(() => null);
  if (text === mine) await unlink(path).catch(() => undefined);
}

function parseHolder(text: string): Holder | null {
  try {
    const v = JSON.parse(text) as Partial<Holder>;
    if (Number.isInteger(v.pid) && typeof v.host === 'string') return { pid: v.pid as number, host: v.host, created: String(v.created) };
  } catch {
    // fall through
  }
  return null;
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
