// Operating-system failures the user can fix (disk full, no permission, read-only filesystem, a path that is
// not a folder) turned into coded MadenetErrors naming the path, instead of E_INTERNAL "this is a bug".
import { MadenetError } from './errors.js';

interface SystemErrorShape {
  code?: unknown;
  path?: unknown;
  dest?: unknown;
  syscall?: unknown;
  message?: unknown;
}

/** The MadenetError for a Node system error (ENOSPC, EACCES, EROFS, ...), or null when it is none of those. */
export function fromSystemError(err: unknown): MadenetError | null {
  if (typeof err !== 'object' || err === null) return null;
  const e = err as SystemErrorShape;
  if (typeof e.code !== 'string') return null;
  const path = typeof e.path === 'string' ? e.path : typeof e.dest === 'string' ? e.dest : '(unknown path)';
  const op = typeof e.syscall === 'string' ? ` (${e.syscall})` : '';
  switch (e.code) {
    case 'ENOSPC':
    case 'EDQUOT':
      return new MadenetError('E_NO_SPACE', `No space left on the device (or quota exceeded) while writing ${path}${op}; expected room for the output.`, {
        suggestions: ['Free some space or choose an --out on another filesystem, then run again (with --resume where the command has it).'],
        cause: err,
      });
    case 'EACCES':
    case 'EPERM':
      return new MadenetError('E_PERMISSION', `Permission denied for ${path}${op}; expected a path this user may read and write.`, {
        suggestions: ['Fix the permissions or choose another path.'],
        cause: err,
      });
    case 'EROFS':
      return new MadenetError('E_READ_ONLY', `${path} is on a read-only filesystem${op}; expected a writable output location.`, {
        suggestions: ['Choose an --out on a writable filesystem.'],
        cause: err,
      });
    case 'ENOTDIR':
      return new MadenetError('E_NOT_A_DIRECTORY', `A part of ${path} is not a folder${op}; expected folders along the path.`, { cause: err });
    case 'EISDIR':
      return new MadenetError('E_NOT_A_FILE', `${path} is a folder${op}; expected a file.`, { cause: err });
    case 'EMFILE':
    case 'ENFILE':
      return new MadenetError('E_TOO_MANY_FILES', `Too many open files while opening ${path}${op}.`, {
        suggestions: ['Raise the limit (ulimit -n) or lower --concurrency.'],
        cause: err,
      });
    case 'ENAMETOOLONG':
      return new MadenetError('E_USAGE', `The path ${path} is too long for this filesystem${op}.`, { cause: err });
    default:
      return null;
  }
}

/**
 * Runs a write and, when it fails with a system error that names no path (write(2) and fsync(2) on a handle
 * name none), records `path` on it, so that E_NO_SPACE and its kin say which file could not be written.
 */
export async function writingTo<T>(path: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (typeof err === 'object' && err !== null && typeof (err as SystemErrorShape).code === 'string' && (err as SystemErrorShape).path === undefined) {
      (err as SystemErrorShape).path = path;
    }
    throw err;
  }
}
