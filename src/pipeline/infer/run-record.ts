// infer.json beside predictions.jsonl: which perfmap, shard and settings produced the directory, and whether
// the run finished. --resume refuses a directory made with another perfmap or shard; merge checks coverage.
import { randomBytes } from 'node:crypto';
import { readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { MadenetError } from '../core/errors.js';
import type { Shard } from './shard.js';

export const RUN_FILE = 'infer.json';
export const RUN_SCHEMA = 'madenet.infer-run/v1';

export interface RunRecord {
  schema: typeof RUN_SCHEMA;
  perfmap: { dir: string; version: number; manifestSha256: string };
  shard: Shard | null;
  input: string;
  settings: Record<string, unknown>;
  started: string;
  /** Set when a run ends without error; a later --resume clears it until it ends too. */
  finished: string | null;
  complete: boolean;
  /** Lines in predictions.jsonl when the run ended. */
  predictions: number | null;
}

export async function readRunRecord(dir: string): Promise<RunRecord | null> {
  const path = join(dir, RUN_FILE);
  const text = await readFile(path, 'utf8').catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return null;
    throw err;
  });
  if (text === null) return null;
  try {
    const v = JSON.parse(text) as RunRecord;
    if (v.schema !== RUN_SCHEMA) throw new Error(`schema ${JSON.stringify(v.schema)}`);
    return v;
  } catch (err) {
    throw new MadenetError('E_SCHEMA', `${path} is not a ${RUN_SCHEMA} record (${(err as Error).message}); expected the file infer writes.`);
  }
}

export async function writeRunRecord(dir: string, record: RunRecord): Promise<void> {
  const path = join(dir, RUN_FILE);
  const tmp = `${path}.${process.pid}-${randomBytes(4).toString('hex')}.tmp`;
  await writeFile(tmp, `${JSON.stringify(record, null, 2)}\n`);
  await rename(tmp, path);
}

/** A resumed run must continue the same work: the same perfmap (by manifest sha256) and shard. */
export function checkResumable(previous: RunRecord, next: Pick<RunRecord, 'perfmap' | 'shard'>, dir: string): void {
  const shardText = (s: Shard | null): string => (s ? `${s.index}/${s.count}` : 'none');
  if (previous.perfmap.manifestSha256 !== next.perfmap.manifestSha256) {
    throw new MadenetError('E_USAGE', `${dir} was written with the perfmap ${previous.perfmap.dir}; --resume expected the same, but got ${next.perfmap.dir}.`, {
      suggestions: ['Resume with the same --perfmap, or write to a new --out.'],
    });
  }
  if (shardText(previous.shard) !== shardText(next.shard)) {
    throw new MadenetError('E_USAGE', `${dir} was written by shard ${shardText(previous.shard)}; --resume expected the same, but got shard ${shardText(next.shard)}.`);
  }
}
