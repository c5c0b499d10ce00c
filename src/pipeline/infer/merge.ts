// `infer merge`: joins the output directories of sharded (or separate) infer runs into one: predictions
// concatenated in shard order with each image once, maps and overlays hard-linked (copied across devices).
// Checks first that the parts come from one perfmap and, for shards, that every shard is there and done.
import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { copyFile, link, mkdir, open, rename, stat, unlink } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { MadenetError } from '../core/errors.js';
import { PREDICTIONS_FILE, parsePrediction } from '../predictions/prediction.js';
import { readRunRecord, RUN_SCHEMA, writeRunRecord, type RunRecord } from './run-record.js';
import { formatShard } from './shard.js';

export interface MergePart {
  dir: string;
  shard: string | null;
  complete: boolean;
  lines: number;
}

export interface MergeCounts {
  parts: MergePart[];
  predictions: number;
  duplicates: number;
  files: number;
  /** Torn last lines of unfinished parts that were left out. */
  tornLines: number;
  warnings: string[];
}

interface Part {
  dir: string;
  record: RunRecord;
}

/** Reads and checks every part's infer.json; throws one E_USAGE listing every problem found. */
export async function checkParts(dirs: readonly string[], allowPartial: boolean): Promise<{ parts: Part[]; warnings: string[] }> {
  if (dirs.length === 0) throw new MadenetError('E_USAGE', 'No directories to merge; expected one or more infer --out directories.');
  const parts: Part[] = [];
  for (const d of dirs) {
    const dir = resolve(d);
    const record = await readRunRecord(dir);
    const hasLines = await stat(join(dir, PREDICTIONS_FILE)).then((s) => s.isFile(), () => false);
    if (!record || !hasLines) {
      throw new MadenetError('E_NOT_FOUND', `${d} is not an infer output directory; expected ${PREDICTIONS_FILE} and infer.json in it.`);
    }
    parts.push({ dir, record });
  }
  const problems: string[] = [];
  const warnings: string[] = [];
  const perfmaps = new Set(parts.map((p) => p.record.perfmap.manifestSha256));
  if (perfmaps.size > 1) problems.push(`the parts were made with ${perfmaps.size} different perfmaps (${[...new Set(parts.map((p) => `${p.record.perfmap.dir}`))].join(', ')})`);
  const counts = new Set(parts.map((p) => p.record.shard?.count ?? 0));
  const sharded = parts.filter((p) => p.record.shard !== null);
  if (sharded.length > 0 && (sharded.length < parts.length || counts.size > 1)) {
    problems.push(`shard counts differ (${parts.map((p) => (p.record.shard ? formatShard(p.record.shard) : 'unsharded')).join(', ')})`);
  } else if (sharded.length > 0) {
    const n = sharded[0]?.record.shard?.count as number;
    const seen = new Map<number, string>();
    for (const p of sharded) {
      const k = p.record.shard?.index as number;
      if (seen.has(k)) problems.push(`shard ${k}/${n} is given twice (${seen.get(k)} and ${p.dir})`);
      seen.set(k, p.dir);
    }
    const missing = Array.from({ length: n }, (_, k) => k).filter((k) => !seen.has(k));
    if (missing.length > 0) {
      const text = `shard${missing.length > 1 ? 's' : ''} ${missing.map((k) => `${k}/${n}`).join(', ')} ${missing.length > 1 ? 'are' : 'is'} missing`;
      if (allowPartial) warnings.push(text);
      else problems.push(text);
    }
  }
  for (const p of parts.filter((x) => !x.record.complete)) {
    const text = `${p.dir} is from a run that did not finish${p.record.shard ? ` (shard ${formatShard(p.record.shard)})` : ''}`;
    if (allowPartial) warnings.push(text);
    else problems.push(text);
  }
  if (problems.length > 0) {
    throw new MadenetError('E_USAGE', `Cannot merge: ${problems.join('; ')}; expected the finished outputs of one perfmap's shards 0..N-1.`, {
      suggestions: ['Finish the missing or unfinished shards (infer --resume), or pass --allow-partial to merge what is there.'],
    });
  }
  return { parts, warnings };
}

/** Writes <out>/predictions.jsonl (replaced atomically), the files its lines name, and infer.json. */
export async function mergeParts(parts: readonly Part[], out: string, warnings: string[]): Promise<MergeCounts> {
  await mkdir(out, { recursive: true });
  const target = join(out, PREDICTIONS_FILE);
  const tmp = `${target}.${process.pid}-${randomBytes(4).toString('hex')}.tmp`;
  const fh = await open(tmp, 'w');
  const seen = new Set<string>();
  const counts: MergeCounts = { parts: [], predictions: 0, duplicates: 0, files: 0, tornLines: 0, warnings };
  try {
    for (const part of parts) {
      let lines = 0;
      const file = join(part.dir, PREDICTIONS_FILE);
      for await (const { text, n, last } of linesOf(file)) {
        let value: unknown;
        try {
          value = JSON.parse(text);
        } catch (err) {
          if (last && !part.record.complete) {
            counts.tornLines++;
            warnings.push(`${file} line ${n} is torn (its run was stopped) and was left out.`);
            continue;
          }
          throw new MadenetError('E_PREDICTIONS', `Bad JSON at ${file} line ${n} (${(err as Error).message}); expected one prediction per line.`);
        }
        const p = parsePrediction(value, `${file} line ${n}`);
        if (seen.has(p.path)) {
          counts.duplicates++;
          continue;
        }
        seen.add(p.path);
        const overlay = (value as { overlay?: unknown }).overlay;
        for (const rel of [p.map, typeof overlay === 'string' ? overlay : null]) {
          if (rel === null) continue;
          await placeFile(join(part.dir, rel), join(out, rel));
          counts.files++;
        }
        await fh.write(`${text}\n`);
        lines++;
      }
      counts.parts.push({ dir: part.dir, shard: part.record.shard ? formatShard(part.record.shard) : null, complete: part.record.complete, lines });
      counts.predictions += lines;
    }
    await fh.sync();
  } catch (err) {
    await fh.close();
    await unlink(tmp).catch(() => undefined);
    throw err;
  }
  await fh.close();
  await rename(tmp, target);
  const first = parts[0]?.record as RunRecord;
  const now = new Date().toISOString();
  await writeRunRecord(out, {
    schema: RUN_SCHEMA,
    perfmap: first.perfmap,
    shard: null,
    input: `merge of ${parts.map((p) => p.dir).join(', ')}`,
    settings: { ...first.settings, mergedFrom: counts.parts },
    started: now,
    finished: now,
    complete: parts.every((p) => p.record.complete) && warnings.length === 0,
    predictions: counts.predictions,
  });
  return counts;
}

/** Hard link where possible (no bytes copied), else a copy; an existing target from an earlier merge is replaced. */
async function placeFile(src: string, dst: string): Promise<void> {
  await mkdir(dirname(dst), { recursive: true });
  await unlink(dst).catch(() => undefined);
  try {
    await link(src, dst);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new MadenetError('E_NOT_FOUND', `${src} is named by a prediction but does not exist; expected the file infer wrote.`);
    await copyFile(src, dst);
  }
}

async function* linesOf(file: string): AsyncGenerator<{ text: string; n: number; last: boolean }> {
  const rl = createInterface({ input: createReadStream(file, { encoding: 'utf8' }), crlfDelay: Infinity });
  let prev: { text: string; n: number } | null = null;
  let n = 0;
  for await (const text of rl) {
    n++;
    if (prev && prev.text.trim() !== '') yield { ...prev, last: false };
    prev = { text, n };
  }
  if (prev && prev.text.trim() !== '') yield { ...prev, last: true };
}
