// The one lock every writing command takes on its output folder (demo, make-demo, train-*, finetune,
// build-perfmap, infer, evaluate): creates the folder, checks that it is one, and locks it.
import { mkdir, stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { MadenetError } from '../core/errors.js';
import { fromSystemError } from '../core/system-errors.js';
import { acquireLock, type Release } from './lock.js';

export interface OutputFolderLock {
  dir: string;
  release: Release;
}

/**
 * Creates `dir` (and its parents) and takes its lock for `command`; a live holder makes this wait up to
 * `waitMs` (default 0: refuse at once with E_LOCKED naming the holder). `flag` names the option in errors.
 */
export async function lockOutputFolder(dir: string, command: string, opts: { waitMs?: number; flag?: string } = {}): Promise<OutputFolderLock> {
  const abs = resolve(dir);
  const flag = opts.flag ?? '--out';
  const info = await stat(abs).catch(() => null);
  if (info && !info.isDirectory()) {
    throw new MadenetError('E_NOT_A_DIRECTORY', `${flag} ${abs} is not a folder (it is ${describe(info)}); expected a folder to write into.`, {
      suggestions: [`Choose a new or existing folder for ${flag}.`],
    });
  }
  if (!info) await makeFolders(abs, flag);
  const release = await acquireLock(abs, { command, waitMs: opts.waitMs ?? 0 }).catch((err: unknown) => {
    throw fromSystemError(err) ?? err;
  });
  return { dir: abs, release };
}

/**
 * mkdir -p one level at a time: Node's recursive mkdir loops forever where a parent exists but refuses children
 * with ENOENT (e.g. /proc/self/x), and a step-by-step walk can name the level that failed.
 */
export async function makeFolders(abs: string, flag: string): Promise<void> {
  const missing: string[] = [];
  let at = abs;
  for (;;) {
    const info = await stat(at).catch(() => null);
    if (info) {
      if (!info.isDirectory()) {
        throw new MadenetError('E_NOT_A_DIRECTORY', `${flag} ${abs} cannot be created: ${at} is not a folder (it is ${describe(info)}).`);
      }
      break;
    }
    missing.unshift(at);
    const parent = dirname(at);
    if (parent === at) break;
    at = parent;
  }
  for (const dir of missing) {
    await mkdir(dir).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'EEXIST') return;
      if (err.code === 'ENOENT') {
        throw new MadenetError('E_NOT_A_DIRECTORY', `${flag} ${abs} cannot be created: ${dirname(dir)} accepts no new folders (ENOENT).`, {
          suggestions: [`Choose a folder on a regular filesystem for ${flag}.`],
        });
      }
      throw fromSystemError(err) ?? err;
    });
  }
}

function describe(info: { isFile(): boolean; isCharacterDevice(): boolean; isBlockDevice(): boolean; isFIFO(): boolean; isSocket(): boolean }): string {
  if (info.isFile()) return 'a file';
  if (info.isCharacterDevice() || info.isBlockDevice()) return 'a device';
  if (info.isFIFO()) return 'a FIFO';
  if (info.isSocket()) return 'a socket';
  return 'not a folder';
}
