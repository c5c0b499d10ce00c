// One writer at a time per folder: a lock file created atomically (link(2) of a complete temp file) that names
// its holder (pid, the process's start time, host, a random token, the command). Stale locks are taken over:
// an empty or unreadable one (link() never publishes a partial lock, so it is not a live madenet's), one whose
// pid is dead on this host, and one whose pid now belongs to another process (its start time differs).
import { randomBytes } from 'node:crypto';
import { readFileSync, statSync, unlinkSync } from 'node:fs';
import { link, readFile, rename, stat, unlink, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { MadenetError } from '../core/errors.js';

export const LOCK_FILE = '.lock';
/** A training run's lock on its checkpoint series, held for the whole run (version writes there use LOCK_FILE). */
export const RUN_LOCK_FILE = '.run.lock';
/** Names of the short-lived files beside a lock (drafts, stale locks moved aside), with their pid. */
export const LOCK_DRAFT = /^\.(?:run\.)?lock\.(?:stale-)?(\d+)-[0-9a-f]+$/;
/** Entries a lock leaves in the folder it guards (for "is this folder empty?" checks). */
export function isLockEntry(name: string): boolean {
  return name === LOCK_FILE || name === RUN_LOCK_FILE || LOCK_DRAFT.test(name);
}

interface Holder {
  pid: number;
  host: string;
  created: string;
  /** The holder's start time in clock ticks since boot (Linux /proc/<pid>/stat field 22); null where unknown. */
  start: string | null;
  token: string;
  command: string | null;
}

export type Release = () => Promise<void>;

export interface LockOptions {
  /** How long to wait for a live holder to let go before E_LOCKED (default 0: refuse at once). */
  waitMs?: number;
  /** What holds the lock, recorded in it and shown to a refused writer (e.g. "infer"). */
  command?: string;
  /** The lock file's name in `dir` (default LOCK_FILE). */
  file?: string;
}

const POLL_MS = 200;
/** Locks this process holds, removed synchronously on exit, so that no path out (signal, process.exit) leaves one. */
const held = new Map<string, string>();
let exitHookInstalled = false;

/** Takes the lock on `dir` (which must exist), waiting up to `waitMs`, or throws E_LOCKED naming the lock file and its holder. */
export async function acquireLock(dir: string, opts: LockOptions = {}): Promise<Release> {
  const path = join(dir, opts.file ?? LOCK_FILE);
  const mine: Holder = {
    pid: process.pid,
    host: hostname(),
    created: new Date().toISOString(),
    start: processStart(process.pid),
    token: randomBytes(8).toString('hex'),
    command: opts.command ?? null,
  };
  const text = `${JSON.stringify(mine)}\n`;
  const draft = `${path}.${process.pid}-${randomBytes(4).toString('hex')}`;
  await writeFile(draft, text);
  const deadline = Date.now() + Math.max(0, opts.waitMs ?? 0);
  try {
    for (;;) {
      try {
        // link() fails if the lock exists, and the lock never exists without its content.
        await link(draft, path);
        installExitHook();
        held.set(path, text);
        return () => release(path, text);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
      const current = await readLock(path);
      if (current === null) continue; // released meanwhile: try again
      const holder = parseHolder(current);
      if (isStale(holder)) {
        await takeOver(path, current);
        continue;
      }
      if (Date.now() >= deadline) throw locked(path, dir, holder, opts.waitMs ?? 0);
      await new Promise((r) => setTimeout(r, POLL_MS));
    }
  } finally {
    await unlink(draft).catch(() => undefined);
  }
}

/** The lock's text, or null when it vanished. Only a small regular file is read (a lock is ~200 bytes). */
async function readLock(path: string): Promise<string | null> {
  const info = await stat(path).catch(() => null);
  if (!info) return null;
  if (!info.isFile() || info.size > 4096) return '';
  return readFile(path, 'utf8').catch(() => null);
}

function isStale(holder: Holder | null): boolean {
  if (holder === null) return true; // empty or garbage: never a live madenet's lock
  if (holder.host !== hostname()) return false; // another machine's pids mean nothing here
  if (!isAlive(holder.pid)) return true;
  // The pid lives, but is it still the process that took the lock? Compare start times where both are known.
  const start = processStart(holder.pid);
  if (holder.start !== null) return start !== null && start !== holder.start;
  // A lock without a start time (older madenet, or written by hand): a live pid that is not a node process
  // (e.g. pid 1) cannot be a madenet holding it.
  const command = processCommand(holder.pid);
  return command !== null && !/node|madenet/i.test(command);
}

function locked(path: string, dir: string, holder: Holder | null, waitedMs: number): MadenetError {
  const who = holder
    ? `${holder.command ? `madenet ${holder.command}, ` : ''}pid ${holder.pid} on ${holder.host}, since ${holder.created}`
    : 'an unknown holder';
  const waited = waitedMs > 0 ? ` after waiting ${(waitedMs / 1000).toFixed(0)} s` : '';
  return new MadenetError('E_LOCKED', `${dir} is locked by ${path} (${who})${waited}; expected no other madenet writing there.`, {
    suggestions: [
      'Wait for the other run to finish, or choose another output folder.',
      holder && holder.host !== hostname()
        ? `The holder runs on ${holder.host}; if it no longer runs there, delete ${path}.`
        : `If that process no longer exists, run again: a lock of a dead process is taken over.`,
    ],
  });
}

/** Moves the stale lock aside; if what moved is not what we judged stale (a new holder won), put it back. */
async function takeOver(path: string, staleText: string): Promise<void> {
  const aside = `${path}.stale-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    await rename(path, aside);
  } catch {
    return; // someone else moved it first
  }
  const moved = await readLock(aside);
  if (moved !== staleText && moved !== null) await link(aside, path).catch(() => undefined);
  await unlink(aside).catch(() => undefined);
}

async function release(path: string, mine: string): Promise<void> {
  held.delete(path);
  // Only remove the lock if it is still ours (it may have been taken over after we were presumed dead).
  const text = await readLock(path);
  if (text === mine) await unlink(path).catch(() => undefined);
}

/** Removes every lock this process still holds; synchronous, for exit paths. */
export function releaseHeldLocksSync(): void {
  for (const [path, mine] of held) {
    try {
      if (statSync(path).isFile() && readFileSync(path, 'utf8') === mine) unlinkSync(path);
    } catch {
      // gone already
    }
  }
  held.clear();
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', releaseHeldLocksSync);
}

function parseHolder(text: string): Holder | null {
  try {
    const v = JSON.parse(text) as Partial<Holder>;
    if (Number.isInteger(v.pid) && (v.pid as number) > 0 && typeof v.host === 'string') {
      return {
        pid: v.pid as number,
        host: v.host,
        created: String(v.created),
        start: typeof v.start === 'string' ? v.start : null,
        token: String(v.token),
        command: typeof v.command === 'string' ? v.command : null,
      };
    }
  } catch {
    // fall through
  }
  return null;
}

/** Start time of a process in clock ticks since boot (Linux); null elsewhere or when it is gone. */
export function processStart(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces and parentheses: count fields after its closing ")".
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return rest[19] ?? null;
  } catch {
    return null;
  }
}

/** The command line of a process (Linux), or null where unknown. */
function processCommand(pid: number): string | null {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ').trim();
  } catch {
    return null;
  }
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
