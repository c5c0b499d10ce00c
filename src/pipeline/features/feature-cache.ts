// A content-addressed on-disk cache of frozen-backbone features, one file per (image content, extractor) pair,
// so that re-training a feature-space submodel (another coreset size, score weighting, validation) skips the
// backbone. Bounded in size: the least recently used entries go first. Knows nothing of tensors or models.
import { createHash } from 'node:crypto';
import { readdir, readFile, rename, stat, unlink, utimes, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { makeFolders } from '../artifacts/output-folder.js';
import { MadenetError } from '../core/errors.js';

/** Bumped when the entry layout changes, so that old entries miss instead of being misread. */
export const FEATURE_CACHE_FORMAT = 1;
const SUFFIX = '.feat';

export interface FeatureCacheStats {
  hits: number;
  misses: number;
  writes: number;
  evicted: number;
  /** Why entries could not be stored (read-only or full disk, ...): the first failure; later puts are skipped. */
  writeError: string | null;
}

/** sha256 (hex) of a file's bytes: the content half of a cache key. */
export async function fileSha256(path: string): Promise<string> {
  return createHash('sha256').update(await readFile(path)).digest('hex');
}

/** The extractor half of a key: everything that changes the features (backbone id and version, layers, size...). */
export function extractorKey(parts: Record<string, unknown>): string {
  return createHash('sha256').update(JSON.stringify({ format: FEATURE_CACHE_FORMAT, ...parts })).digest('hex');
}

export class FeatureCache {
  readonly stats: FeatureCacheStats = { hits: 0, misses: 0, writes: 0, evicted: 0, writeError: null };

  private constructor(
    readonly dir: string,
    readonly maxBytes: number,
  ) {}

  static async open(dir: string, maxBytes: number): Promise<FeatureCache> {
    if (!(Number.isFinite(maxBytes) && maxBytes > 0)) {
      throw new MadenetError('E_USAGE', `Feature cache size limit is ${maxBytes} bytes; expected a positive number.`);
    }
    // Step by step, not mkdir -p: Node's recursive mkdir never returns under /proc, and a file in the way gets
    // E_NOT_A_DIRECTORY naming --feature-cache instead of an internal EEXIST.
    const abs = resolve(dir);
    const info = await stat(abs).catch(() => null);
    if (info && !info.isDirectory()) {
      throw new MadenetError('E_NOT_A_DIRECTORY', `--feature-cache ${abs} is not a folder; expected a folder for the cache (it is created when missing).`, {
        suggestions: ['Choose a new or existing folder for --feature-cache, or leave the flag out to compute features afresh.'],
      });
    }
    if (!info) await makeFolders(abs, '--feature-cache');
    return new FeatureCache(abs, maxBytes);
  }

  key(contentSha256: string, extractor: string): string {
    return createHash('sha256').update(`${contentSha256}:${extractor}`).digest('hex');
  }

  private path(key: string): string {
    return join(this.dir, `${key}${SUFFIX}`);
  }

  /** The arrays stored under `key`, or null (a miss). A corrupt entry counts as a miss and is removed. */
  async get(key: string): Promise<Float32Array[] | null> {
    const file = this.path(key);
    let buf: Buffer;
    try {
      buf = await readFile(file);
    } catch {
      this.stats.misses++;
      return null;
    }
    const arrays = decodeEntry(buf);
    if (!arrays) {
      await unlink(file).catch(() => undefined);
      this.stats.misses++;
      return null;
    }
    const now = new Date();
    await utimes(file, now, now).catch(() => undefined); // marks it recently used for eviction
    this.stats.hits++;
    return arrays;
  }

  /** Stores arrays under `key` (atomically: temp file + rename), then evicts down to the size limit. */
  async put(key: string, arrays: readonly Float32Array[]): Promise<void> {
    // The cache only saves time: a folder that cannot take entries (read-only, full) must not fail a training
    // whose features are already computed. The first failure is recorded (the caller warns) and later puts skip.
    if (this.stats.writeError !== null) return;
    const buf = encodeEntry(arrays);
    if (buf.length > this.maxBytes) return; // would evict everything else and still not fit
    const file = this.path(key);
    const tmp = `${file}.${process.pid}.tmp`;
    try {
      await writeFile(tmp, buf);
      await rename(tmp, file);
    } catch (err) {
      await unlink(tmp).catch(() => undefined); // a partial entry of a full disk
      const e = err as NodeJS.ErrnoException;
      this.stats.writeError = `${e.code ?? 'error'} writing ${tmp}: ${e.message}`;
      return;
    }
    this.stats.writes++;
    await this.evict(file);
  }

  /** A warning for the run's result when entries could not be stored, else null. */
  writeWarning(): string | null {
    const e = this.stats.writeError;
    return e === null ? null : `--feature-cache ${this.dir}: features were computed but not cached (${e}); later runs will compute them again.`;
  }

  /** Total bytes of the entries on disk. */
  async size(): Promise<number> {
    return (await this.entries()).reduce((s, e) => s + e.bytes, 0);
  }

  private async entries(): Promise<{ file: string; bytes: number; mtime: number }[]> {
    const names = (await readdir(this.dir)).filter((n) => n.endsWith(SUFFIX));
    const out: { file: string; bytes: number; mtime: number }[] = [];
    for (const n of names) {
      const file = join(this.dir, n);
      const s = await stat(file).catch(() => null);
      if (s) out.push({ file, bytes: s.size, mtime: s.mtimeMs });
    }
    return out;
  }

  private async evict(keep: string): Promise<void> {
    const entries = await this.entries();
    let total = entries.reduce((s, e) => s + e.bytes, 0);
    if (total <= this.maxBytes) return;
    entries.sort((a, b) => a.mtime - b.mtime || a.file.localeCompare(b.file));
    for (const e of entries) {
      if (total <= this.maxBytes) break;
      if (e.file === keep) continue;
      await unlink(e.file).catch(() => undefined);
      total -= e.bytes;
      this.stats.evicted++;
    }
  }
}

// Entry layout: "MADFEAT" + format byte, uint32 count, count x uint32 lengths, then the float32 data (little-endian).
const MAGIC = Buffer.from('MADFEAT');

function encodeEntry(arrays: readonly Float32Array[]): Buffer {
  const head = MAGIC.length + 1 + 4 + 4 * arrays.length;
  const total = head + arrays.reduce((s, a) => s + a.length * 4, 0);
  const buf = Buffer.alloc(total);
  MAGIC.copy(buf, 0);
  buf[MAGIC.length] = FEATURE_CACHE_FORMAT;
  buf.writeUInt32LE(arrays.length, MAGIC.length + 1);
  let off = head;
  arrays.forEach((a, i) => {
    buf.writeUInt32LE(a.length, MAGIC.length + 5 + 4 * i);
    for (let j = 0; j < a.length; j++) buf.writeFloatLE(a[j] as number, off + 4 * j);
    off += a.length * 4;
  });
  return buf;
}

function decodeEntry(buf: Buffer): Float32Array[] | null {
  if (buf.length < MAGIC.length + 5 || !buf.subarray(0, MAGIC.length).equals(MAGIC) || buf[MAGIC.length] !== FEATURE_CACHE_FORMAT) return null;
  const count = buf.readUInt32LE(MAGIC.length + 1);
  const head = MAGIC.length + 5 + 4 * count;
  if (buf.length < head) return null;
  const lengths = Array.from({ length: count }, (_, i) => buf.readUInt32LE(MAGIC.length + 5 + 4 * i));
  if (head + lengths.reduce((s, n) => s + n * 4, 0) !== buf.length) return null;
  const out: Float32Array[] = [];
  let off = head;
  for (const n of lengths) {
    const a = new Float32Array(n);
    for (let j = 0; j < n; j++) a[j] = buf.readFloatLE(off + 4 * j);
    out.push(a);
    off += n * 4;
  }
  return out;
}
