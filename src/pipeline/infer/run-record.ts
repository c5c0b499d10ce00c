// infer.json beside predictions.jsonl: which perfmap, shard and settings produced the directory, and whether
// the run finished. --resume refuses a directory made with another perfmap or shard; merge checks coverage.
import { randomBytes } from 'node:crypto';
import { readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { MadenetError } from '../core/errors.js';
import type { Shard } from './shard.js';
import { writingTo } from '../core/system-errors.js';

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
  await writingTo(path, () => writeFile(tmp, `${JSON.stringify(record, null, 2)}\n`));
  await rename(tmp, path);
}

/** The flag behind a recorded setting (decodeSize follows from the perfmap, so it keeps its own name). */
function settingName(key: string): string {
  return key === 'decodeSize' ? 'decode size' : `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
}

/** Settings that only change speed, not a single prediction: a resume may change them. */
const FREE_SETTINGS = new Set(['batchSize']);

/**
 * A resumed run must continue the same work: the same perfmap (by manifest sha256), shard and every setting that
 * shapes a prediction line (category, confidence, fallback, maps, overlays, decode size, engine), so that one
 * predictions.jsonl never mixes two configurations. E_RESUME names the first field that differs.
 */
export function checkResumable(previous: RunRecord, next: Pick<RunRecord, 'perfmap' | 'shard'> & { settings?: Record<string, unknown> }, dir: string): void {
  const shardText = (s: Shard | null): string => (s ? `${s.index}/${s.count}` : 'none');
  if (previous.perfmap.manifestSha256 !== next.perfmap.manifestSha256) {
    throw new MadenetError('E_USAGE', `${dir} was written with the perfmap ${previous.perfmap.dir}; --resume expected the same, but got ${next.perfmap.dir}.`, {
      suggestions: ['Resume with the same --perfmap, or write to a new --out.'],
    });
  }
  if (shardText(previous.shard) !== shardText(next.shard)) {
    throw new MadenetError('E_USAGE', `${dir} was written by shard ${shardText(previous.shard)}; --resume expected the same, but got shard ${shardText(next.shard)}.`);
  }
  if (next.settings) {
    const keys = [...new Set([...Object.keys(previous.settings ?? {}), ...Object.keys(next.settings)])].filter((k) => !FREE_SETTINGS.has(k));
    for (const key of keys) {
      const was = (previous.settings ?? {})[key];
      const now = next.settings[key];
      if (JSON.stringify(was ?? null) !== JSON.stringify(now ?? null)) {
        const name = settingName(key);
        throw new MadenetError('E_RESUME', `${dir} was written with ${name} ${JSON.stringify(was ?? null)}; --resume expected the same, but got ${JSON.stringify(now ?? null)}.`, {
          suggestions: [`Resume with ${name} as in the first run (${JSON.stringify(was ?? null)}), or write to a new --out.`],
        });
      }
    }
  }
}
