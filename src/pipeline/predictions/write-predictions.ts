// Appends predictions to predictions.jsonl one whole line per write(2) on an O_APPEND handle, so a reader
// never sees half a line unless the process died mid-write; reopening for append cuts such a torn tail.
import { mkdir, open, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { PREDICTIONS_FILE, formatPrediction, type Prediction } from './prediction.js';

export interface PredictionsWriter {
  readonly path: string;
  /** Bytes of a torn last line removed when the file was reopened (0 if none). */
  readonly cutTornBytes: number;
  append(p: Prediction): Promise<void>;
  close(): Promise<void>;
}

/** Writes one prediction as one line. The handle must be opened for appending ('a'). */
export async function appendPrediction(fh: FileHandle, p: Prediction): Promise<void> {
  const bytes = Buffer.from(formatPrediction(p), 'utf8');
  let off = 0;
  // A regular file takes the whole buffer in one write; the loop only guards against short writes.
  while (off < bytes.length) {
    const { bytesWritten } = await fh.write(bytes, off, bytes.length - off);
    off += bytesWritten;
  }
}

/** mode 'append' keeps earlier lines (resume) minus any torn tail; 'truncate' starts a new file. */
export async function openPredictionsWriter(dir: string, mode: 'append' | 'truncate' = 'truncate'): Promise<PredictionsWriter> {
  await mkdir(dir, { recursive: true });
  const path = join(dir, PREDICTIONS_FILE);
  const cutTornBytes = mode === 'append' ? await cutTornTail(path) : 0;
  const fh = await open(path, mode === 'append' ? 'a' : 'w');
  let chain: Promise<void> = Promise.resolve();
  return {
    path,
    cutTornBytes,
    // Serialised so that concurrent callers never interleave partial writes; a refused line does not
    // block the ones after it.
    append: (p) => {
      const run = chain.then(() => appendPrediction(fh, p));
      chain = run.catch(() => undefined);
      return run;
    },
    close: async () => {
      await chain;
      await fh.sync();
      await fh.close();
    },
  };
}

async function cutTornTail(path: string): Promise<number> {
  let fh: FileHandle;
  try {
    fh = await open(path, 'r+');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw err;
  }
  try {
    const { size } = await fh.stat();
    // Scan back from the end for the last newline, 64 KiB at a time.
    let end = size;
    const buf = Buffer.alloc(1 << 16);
    while (end > 0) {
      const start = Math.max(0, end - buf.length);
      const { bytesRead } = await fh.read(buf, 0, end - start, start);
      const nl = buf.subarray(0, bytesRead).lastIndexOf(0x0a);
      if (nl >= 0) {
        const keep = start + nl + 1;
        if (keep < size) await fh.truncate(keep);
        return size - keep;
      }
      end = start;
    }
    if (size > 0) await fh.truncate(0);
    return size;
  } finally {
    await fh.close();
  }
}
