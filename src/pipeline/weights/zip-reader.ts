// A small, bounded reader of zip archives (what torch.save writes): the central directory (zip64 too) and
// entries read on demand through a file handle, stored or deflated. No extraction, no writes, no whole-file read.
import type { FileHandle } from 'node:fs/promises';
import { open } from 'node:fs/promises';
import { crc32, inflateRawSync } from 'node:zlib';
import { MadenetError } from '../core/errors.js';

export interface ZipEntry {
  name: string;
  /** 0 = stored, 8 = deflated. */
  method: number;
  compressedSize: number;
  size: number;
  crc: number;
  /** Offset of the entry's data in the file (after its local header). */
  dataOffset: number;
}

export interface ZipLimits {
  /** Most entries in the central directory. */
  maxEntries: number;
  /** Largest central directory, in bytes. */
  maxDirectoryBytes: number;
}

export const DEFAULT_ZIP_LIMITS: ZipLimits = { maxEntries: 100_000, maxDirectoryBytes: 64 * 1024 * 1024 };

const EOCD = 0x06054b50;
const ZIP64_LOCATOR = 0x07064b50;
const ZIP64_EOCD = 0x06064b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;
const MAX_COMMENT = 0xffff;

export class ZipReader {
  private constructor(
    private readonly fh: FileHandle,
    readonly path: string,
    readonly fileSize: number,
    readonly entries: ReadonlyMap<string, ZipEntry>,
  ) {}

  /** Opens `path` and checks its directory: every entry inside the file, before the directory, none overlapping. */
  static async open(path: string, limits: ZipLimits = DEFAULT_ZIP_LIMITS): Promise<ZipReader> {
    const fh = await open(path, 'r').catch((err: NodeJS.ErrnoException) => {
      throw new MadenetError('E_NOT_FOUND', `Cannot read weights file ${path} (${err.code ?? err.message}); expected a readable file.`);
    });
    try {
      const fileSize = (await fh.stat()).size;
      const entries = await readDirectory(fh, path, fileSize, limits);
      return new ZipReader(fh, path, fileSize, entries);
    } catch (err) {
      await fh.close();
      throw err;
    }
  }

  async close(): Promise<void> {
    await this.fh.close();
  }

  /**
   * The bytes of one entry, checked against its CRC-32. `into` (exactly entry.size bytes) receives stored data
   * without an extra copy, e.g. a Float32Array's buffer.
   */
  async read(entry: ZipEntry, into?: Uint8Array): Promise<Uint8Array> {
    if (into && into.byteLength !== entry.size) throw new MadenetError('E_INTERNAL', `Zip read of ${entry.name} into ${into.byteLength} bytes; expected ${entry.size}.`);
    let out: Uint8Array;
    if (entry.method === 0) {
      out = into ?? new Uint8Array(entry.size);
      await readExactly(this.fh, out, entry.dataOffset, this.path, entry.name);
    } else {
      const packed = new Uint8Array(entry.compressedSize);
      await readExactly(this.fh, packed, entry.dataOffset, this.path, entry.name);
      let inflated: Buffer;
      try {
        // maxOutputLength bounds a deflate bomb to the size the directory declared.
        inflated = inflateRawSync(packed, { maxOutputLength: Math.max(1, entry.size) });
      } catch (err) {
        throw bad(this.path, `entry ${entry.name} does not inflate to its declared ${entry.size} bytes (${(err as Error).message})`);
      }
      if (inflated.byteLength !== entry.size) throw bad(this.path, `entry ${entry.name} inflates to ${inflated.byteLength} bytes; its directory says ${entry.size}`);
      out = into ?? new Uint8Array(inflated.buffer, inflated.byteOffset, inflated.byteLength);
      if (into) into.set(inflated);
    }
    if (crc32(out) >>> 0 !== entry.crc >>> 0) throw bad(this.path, `entry ${entry.name} fails its CRC-32 check (damaged or truncated file)`);
    return out;
  }
}

function bad(path: string, what: string): MadenetError {
  return new MadenetError('E_WEIGHTS', `Not a valid zip archive (${path}): ${what}.`, {
    suggestions: ['Save the state dict again with torch.save(model.state_dict(), "file.pth") (PyTorch >= 1.6), or export a .safetensors file.'],
  });
}

async function readExactly(fh: FileHandle, into: Uint8Array, position: number, path: string, what: string): Promise<void> {
  let done = 0;
  while (done < into.byteLength) {
    const { bytesRead } = await fh.read(into, done, into.byteLength - done, position + done);
    if (bytesRead === 0) throw bad(path, `${what} ends at byte ${position + done}, before its ${into.byteLength} bytes (truncated file)`);
    done += bytesRead;
  }
}

async function readAt(fh: FileHandle, position: number, length: number, path: string, what: string): Promise<DataView> {
  const buf = new Uint8Array(length);
  await readExactly(fh, buf, position, path, what);
  return new DataView(buf.buffer);
}

async function readDirectory(fh: FileHandle, path: string, fileSize: number, limits: ZipLimits): Promise<Map<string, ZipEntry>> {
  const { count, dirSize, dirOffset, eocdOffset } = await readEndRecord(fh, path, fileSize);
  if (count > limits.maxEntries) throw bad(path, `${count} entries; at most ${limits.maxEntries} are read`);
  if (dirSize > limits.maxDirectoryBytes) throw bad(path, `a central directory of ${dirSize} bytes; at most ${limits.maxDirectoryBytes} are read`);
  if (dirOffset + dirSize > eocdOffset) throw bad(path, `the central directory (${dirSize} bytes at ${dirOffset}) runs past its end record at ${eocdOffset}`);
  const dir = await readAt(fh, dirOffset, dirSize, path, 'the central directory');
  const entries = new Map<string, ZipEntry>();
  const spans: { start: number; end: number; name: string }[] = [];
  let p = 0;
  for (let k = 0; k < count; k++) {
    const h = centralHeader(dir, p, k, path);
    p = h.next;
    const { name, method, compressedSize, size, localOffset } = h;
    if (h.flags & 1) throw bad(path, `entry ${name} is encrypted`);
    if (method !== 0 && method !== 8) throw bad(path, `entry ${name} uses compression method ${method}; expected 0 (stored) or 8 (deflate)`);
    if (method === 0 && compressedSize !== size) throw bad(path, `stored entry ${name} declares ${compressedSize} stored and ${size} actual bytes`);
    if (entries.has(name)) throw bad(path, `entry ${name} appears twice`);
    if (localOffset + 30 > dirOffset) throw bad(path, `entry ${name} starts at ${localOffset}, past the central directory at ${dirOffset}`);
    const local = await readAt(fh, localOffset, 30, path, `the local header of ${name}`);
    if (local.getUint32(0, true) !== LOCAL) throw bad(path, `no local header for ${name} at offset ${localOffset}`);
    const dataOffset = localOffset + 30 + local.getUint16(26, true) + local.getUint16(28, true);
    const end = dataOffset + compressedSize;
    if (end > dirOffset) throw bad(path, `entry ${name} (${compressedSize} bytes at ${dataOffset}) runs into the central directory at ${dirOffset} (truncated or forged sizes)`);
    entries.set(name, { name, method, compressedSize, size, crc: h.crc, dataOffset });
    spans.push({ start: localOffset, end, name });
  }
  // Entries that share bytes are how zip bombs multiply their size; a real archive never overlaps.
  spans.sort((a, b) => a.start - b.start);
  for (let i = 1; i < spans.length; i++) {
    const prev = spans[i - 1] as (typeof spans)[number];
    const cur = spans[i] as (typeof spans)[number];
    if (cur.start < prev.end) throw bad(path, `entries ${prev.name} and ${cur.name} overlap (bytes ${cur.start}..${prev.end})`);
  }
  return entries;
}

/** The end-of-central-directory record (its zip64 form where the sizes need it): where the directory lies. */
async function readEndRecord(fh: FileHandle, path: string, fileSize: number): Promise<{ count: number; dirSize: number; dirOffset: number; eocdOffset: number }> {
  if (fileSize < 22) throw bad(path, `${fileSize} bytes is too short for a zip end record`);
  const tailLength = Math.min(fileSize, 22 + MAX_COMMENT);
  const tail = await readAt(fh, fileSize - tailLength, tailLength, path, 'the end record');
  let at = -1;
  for (let i = tailLength - 22; i >= 0; i--) {
    if (tail.getUint32(i, true) === EOCD && i + 22 + tail.getUint16(i + 20, true) === tailLength) {
      at = i;
      break;
    }
  }
  if (at < 0) throw bad(path, 'no end-of-central-directory record (not a zip file, or truncated)');
  const eocdOffset = fileSize - tailLength + at;
  let count = tail.getUint16(at + 10, true);
  let dirSize = tail.getUint32(at + 12, true);
  let dirOffset = tail.getUint32(at + 16, true);
  if (count === 0xffff || dirSize === 0xffffffff || dirOffset === 0xffffffff || (at >= 20 && tail.getUint32(at - 20, true) === ZIP64_LOCATOR)) {
    if (at < 20 || tail.getUint32(at - 20, true) !== ZIP64_LOCATOR) throw bad(path, 'a zip64 end record is needed but its locator is missing');
    const z64Offset = safeNumber(tail.getBigUint64(at - 20 + 8, true), path, 'zip64 end record offset');
    if (z64Offset + 56 > eocdOffset - 20) throw bad(path, `zip64 end record offset ${z64Offset} lies outside the file`);
    const z = await readAt(fh, z64Offset, 56, path, 'the zip64 end record');
    if (z.getUint32(0, true) !== ZIP64_EOCD) throw bad(path, `no zip64 end record at offset ${z64Offset}`);
    count = safeNumber(z.getBigUint64(32, true), path, 'entry count');
    dirSize = safeNumber(z.getBigUint64(40, true), path, 'directory size');
    dirOffset = safeNumber(z.getBigUint64(48, true), path, 'directory offset');
  }
  return { count, dirSize, dirOffset, eocdOffset };
}

/** Central directory entry `k` at byte `p` of the directory, with its zip64 sizes applied; `next` is where the next one starts. */
function centralHeader(dir: DataView, p: number, k: number, path: string) {
  const dirSize = dir.byteLength;
  if (p + 46 > dirSize || dir.getUint32(p, true) !== CENTRAL) throw bad(path, `central directory entry ${k} is malformed`);
  const flags = dir.getUint16(p + 8, true);
  const method = dir.getUint16(p + 10, true);
  const crc = dir.getUint32(p + 16, true);
  const sizes = { compressedSize: dir.getUint32(p + 20, true), size: dir.getUint32(p + 24, true), localOffset: dir.getUint32(p + 42, true) };
  const nameLength = dir.getUint16(p + 28, true);
  const extraLength = dir.getUint16(p + 30, true);
  const commentLength = dir.getUint16(p + 32, true);
  if (p + 46 + nameLength + extraLength + commentLength > dirSize) throw bad(path, `central directory entry ${k} runs past the directory`);
  const name = new TextDecoder('utf-8', { fatal: false }).decode(new Uint8Array(dir.buffer, p + 46, nameLength));
  applyZip64Extra(dir, p + 46 + nameLength, extraLength, sizes, name, path);
  return { flags, method, crc, name, ...sizes, next: p + 46 + nameLength + extraLength + commentLength };
}

/** Zip64 extra field: the 64-bit values of whichever 32-bit fields are saturated, in this order. */
function applyZip64Extra(dir: DataView, start: number, extraLength: number, sizes: { compressedSize: number; size: number; localOffset: number }, name: string, path: string): void {
  let e = start;
  const extraEnd = e + extraLength;
  while (e + 4 <= extraEnd) {
    const id = dir.getUint16(e, true);
    const len = dir.getUint16(e + 2, true);
    if (e + 4 + len > extraEnd) throw bad(path, `entry ${name} has a malformed extra field`);
    if (id === 0x0001) {
      let q = e + 4;
      const fieldEnd = e + 4 + len;
      const take = (what: string): number => {
        if (q + 8 > fieldEnd) throw bad(path, `entry ${name} has a short zip64 extra field`);
        const v = safeNumber(dir.getBigUint64(q, true), path, `${name} ${what}`);
        q += 8;
        return v;
      };
      if (sizes.size === 0xffffffff) sizes.size = take('size');
      if (sizes.compressedSize === 0xffffffff) sizes.compressedSize = take('compressed size');
      if (sizes.localOffset === 0xffffffff) sizes.localOffset = take('offset');
    }
    e += 4 + len;
  }
}

function safeNumber(v: bigint, path: string, what: string): number {
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw bad(path, `${what} ${v} is out of range`);
  return Number(v);
}
