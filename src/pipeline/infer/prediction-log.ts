// infer's predictions.jsonl: opened fresh or for --resume (a torn last line from a killed run is cut at the
// last newline, the paths already there are skipped), then appended one whole line per write(2) on O_APPEND.
import { createReadStream } from 'node:fs';
import { open, stat, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { MadenetError } from '../core/errors.js';
import { PREDICTIONS_FILE, parsePrediction, type Prediction } from '../predictions/prediction.js';
import type { RouteRecord } from './route.js';
import { writingTo } from '../core/system-errors.js';

/** The documented fields plus infer's own: how it was routed, the exact artifact, the overlay. */
export interface InferPrediction extends Prediction {
  route: RouteRecord;
  artifact: { kind: string; category: string; version: number; dir: string };
  overlay: string | null;
  /** masks/<rel>_mask.png, the binary predicted mask, when maps were saved and the perfmap has a mask threshold. */
  mask: string | null;
}

export interface PredictionLog {
  readonly path: string;
  /** Paths already in the file (resume), to be skipped. */
  readonly done: Set<string>;
  /** Bytes of a torn last line cut when resuming (0 if none). */
  readonly cutTornBytes: number;
  append(p: InferPrediction): Promise<void>;
  close(): Promise<void>;
}

export async function openPredictionLog(dir: string, resume: boolean): Promise<PredictionLog> {
  const path = join(dir, PREDICTIONS_FILE);
  const size = await stat(path).then((s) => s.size, () => -1);
  if (size > 0 && !resume) {
    throw new MadenetError('E_EXISTS', `${path} already holds predictions; expected an empty --out, or --resume to continue that run.`, {
      suggestions: ['Pass --resume to skip the images already predicted, or choose another --out.'],
    });
  }
  const cutTornBytes = resume && size > 0 ? await cutTornTail(path) : 0;
  const done = resume && size > 0 ? await readDonePaths(path) : new Set<string>();
  const fh = await open(path, 'a');
  let chain: Promise<void> = Promise.resolve();
  return {
    path,
    done,
    cutTornBytes,
    // Serialised so that concurrent writers never interleave; a refused line does not block later ones.
    append: (p) => {
      const run = chain.then(() => writingTo(path, () => writeLine(fh, p)));
      chain = run.catch(() => undefined);
      return run;
    },
    close: async () => {
      await chain;
      try {
        // EINVAL: the file cannot be fsynced (a device, some network filesystems); the lines were written.
        await writingTo(path, () => fh.sync()).catch((err: NodeJS.ErrnoException) => {
          if (err.code !== 'EINVAL') throw err;
        });
      } finally {
        await fh.close();
      }
    },
  };
}

/** One line: the documented fields in their order (validated), then infer's extras. */
export function formatInferPrediction(p: InferPrediction): string {
  const c = parsePrediction(p, `prediction for ${p.path}`);
  const line = {
    path: c.path,
    category: c.category,
    score: c.score,
    label: c.label,
    threshold: c.threshold,
    model: c.model,
    classifier: c.classifier,
    map: c.map,
    mask: p.mask,
    overlay: p.overlay,
    route: p.route,
    artifact: p.artifact,
  };
  return `${JSON.stringify(line)}\n`;
}

async function writeLine(fh: FileHandle, p: InferPrediction): Promise<void> {
  const bytes = Buffer.from(formatInferPrediction(p), 'utf8');
  let off = 0;
  // A regular file takes the whole buffer in one write; the loop only guards against short writes.
  while (off < bytes.length) {
    const { bytesWritten } = await fh.write(bytes, off, bytes.length - off);
    off += bytesWritten;
  }
}

/** Truncates after the last newline; returns the bytes removed. */
export async function cutTornTail(path: string): Promise<number> {
  const fh = await open(path, 'r+');
  try {
    const { size } = await fh.stat();
    const buf = Buffer.alloc(1 << 16);
    let end = size;
    while (end > 0) {
      const start = Math.max(0, end - buf.length);
      const { bytesRead } = await fh.read(buf, 0, end - start, start);
      const nl = buf.subarray(0, bytesRead).lastIndexOf(0x0a);
      if (nl >= 0) {
        const keep = start + nl + 1;
        if (keep < size) {
          await fh.truncate(keep);
          await fh.sync();
        }
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

async function readDonePaths(path: string): Promise<Set<string>> {
  const done = new Set<string>();
  const lines = createInterface({ input: createReadStream(path, { encoding: 'utf8' }), crlfDelay: Infinity });
  let n = 0;
  for await (const text of lines) {
    n++;
    if (text.trim() === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (err) {
      throw new MadenetError('E_PREDICTIONS', `Bad JSON at ${path} line ${n} (${(err as Error).message}); expected one prediction per line, so --resume cannot tell what was done.`, {
        suggestions: ['Move the file aside and run again without --resume.'],
      });
    }
    done.add(parsePrediction(value, `${path} line ${n}`).path);
  }
  return done;
}
