// Reading files that a user (or an attacker) controls: only regular files are opened (never devices, FIFOs or
// sockets, which hang or never end), symlinks are resolved and must stay inside a given root, and sizes are
// bounded before anything is read. Errors name the path as given, never the size or hash of a link's target.
import { constants, createReadStream } from 'node:fs';
import { lstat, open, realpath, type FileHandle } from 'node:fs/promises';
import { relative, resolve, isAbsolute } from 'node:path';
import { MadenetError } from '../core/errors.js';
import { fromSystemError } from '../core/system-errors.js';

export interface SafeOpenOptions {
  /** The file (after resolving symlinks) must lie inside this folder (after resolving its symlinks). */
  root?: string;
  /** Refuse files larger than this many bytes. */
  maxBytes?: number;
  /** What the file is, for messages ("artifact file", "anomaly map"). */
  what?: string;
}

export interface SafeFile {
  fh: FileHandle;
  size: number;
}

/** Opens a regular file for reading under the rules above; the caller closes `fh`. */
export async function openRegularFile(path: string, opts: SafeOpenOptions = {}): Promise<SafeFile> {
  const what = opts.what ?? 'file';
  const abs = resolve(path);
  const link = await lstat(abs).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT' || err.code === 'ENOTDIR') throw new MadenetError('E_NOT_FOUND', `The ${what} ${path} does not exist; expected a file there.`);
    throw fromSystemError(err) ?? err;
  });
  let real = abs;
  if (link.isSymbolicLink() || opts.root !== undefined) {
    real = await realpath(abs).catch(() => {
      throw new MadenetError('E_NOT_FOUND', `The ${what} ${path} is a link to nothing; expected a file there.`);
    });
  }
  if (opts.root !== undefined) {
    const root = await realpath(opts.root).catch(() => resolve(opts.root as string));
    const rel = relative(root, real);
    if (rel.startsWith('..') || isAbsolute(rel)) {
      throw new MadenetError('E_UNSAFE_PATH', `The ${what} ${path} resolves outside ${opts.root}; expected files inside it (links out of it are not followed).`);
    }
  }
  // O_NONBLOCK: opening a FIFO must not wait for a writer; O_NOCTTY: a terminal never becomes ours.
  const fh = await open(real, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY).catch((err: unknown) => {
    throw fromSystemError(err) ?? err;
  });
  try {
    // Judged on the opened file itself, so a swap after the checks above cannot slip a device in.
    const info = await fh.stat();
    if (!info.isFile()) {
      const kind = info.isDirectory() ? 'a folder' : info.isFIFO() ? 'a FIFO' : info.isSocket() ? 'a socket' : 'a device';
      throw new MadenetError('E_NOT_A_FILE', `The ${what} ${path} is ${kind}; expected a regular file.`);
    }
    if (opts.maxBytes !== undefined && info.size > opts.maxBytes) {
      throw new MadenetError('E_TOO_LARGE', `The ${what} ${path} is larger than the ${opts.maxBytes} bytes allowed for it; expected a smaller file.`);
    }
    return { fh, size: info.size };
  } catch (err) {
    await fh.close();
    throw err;
  }
}

/** The whole of a bounded regular file. */
export async function readRegularFile(path: string, opts: SafeOpenOptions & { maxBytes: number }): Promise<Buffer> {
  const { fh, size } = await openRegularFile(path, opts);
  try {
    return await readUpTo(fh, size);
  } finally {
    await fh.close();
  }
}

/** Streams a regular file through `onChunk` (at most `size` bytes, as fstat gave it: a growing file cannot run forever). */
export async function streamRegularFile(path: string, opts: SafeOpenOptions, onChunk: (chunk: Buffer) => void): Promise<number> {
  const { fh, size } = await openRegularFile(path, opts);
  let bytes = 0;
  // createReadStream closes the handle when it ends or fails.
  const stream = createReadStream('', { fd: fh, start: 0, end: Math.max(0, size - 1), autoClose: true });
  try {
    if (size === 0) return 0;
    for await (const chunk of stream) {
      onChunk(chunk as Buffer);
      bytes += (chunk as Buffer).length;
    }
    return bytes;
  } finally {
    stream.destroy();
  }
}

/** The first `size` bytes of an open file, or fewer where it ended sooner (it shrank since its size was taken). */
export async function readUpTo(fh: FileHandle, size: number): Promise<Buffer> {
  const buf = Buffer.alloc(size);
  let off = 0;
  while (off < size) {
    const { bytesRead } = await fh.read(buf, off, size - off, off);
    if (bytesRead === 0) break;
    off += bytesRead;
  }
  return off === size ? buf : buf.subarray(0, off);
}
