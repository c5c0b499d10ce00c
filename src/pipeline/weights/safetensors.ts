// Reads and writes the safetensors format (8-byte little-endian header length, JSON header, raw data) with
// float tensors widened to Float32Array. No name mapping here; see torch-mapping.ts.
import { readSync } from 'node:fs';
import { MadenetError } from '../core/errors.js';
import { openRegularFile } from '../io/safe-file.js';

export type SafetensorsDtype = 'F64' | 'F32' | 'F16' | 'BF16' | 'I64' | 'I32' | 'I16' | 'I8' | 'U8' | 'BOOL';

export interface NamedTensor {
  /** The dtype stored in the file (data is always widened/narrowed to float32). */
  dtype: SafetensorsDtype;
  shape: number[];
  data: Float32Array;
}

const ITEM_BYTES: Record<SafetensorsDtype, number> = { F64: 8, F32: 4, F16: 2, BF16: 2, I64: 8, I32: 4, I16: 2, I8: 1, U8: 1, BOOL: 1 };
/**
 * Headers beyond this are not a real checkpoint: a torchvision/timm state dict of a few hundred tensors has a
 * header of tens of KB (the reference implementation allows 100 MB, which JSON.parse turns into gigabytes).
 */
export const MAX_HEADER_BYTES = 8 * 2 ** 20;
/** The header is {name: {dtype, shape: [..], data_offsets: [..]}}: three levels; deeper nesting is an attack. */
const MAX_DEPTH = 3;
/** Tensors (and __metadata__ entries) per file. */
const MAX_ENTRIES = 100_000;
/** Values per array: shapes are rank <= 8 here, data_offsets 2. */
const MAX_ARRAY = 16;

interface HeaderEntry {
  dtype: string;
  shape: number[];
  data_offsets: [number, number];
}

/** One tensor as the header describes it; `begin`/`end` are offsets into the data section. */
export interface TensorEntry {
  name: string;
  dtype: SafetensorsDtype;
  shape: number[];
  count: number;
  begin: number;
  end: number;
}

function bad(what: string, source: string): MadenetError {
  return new MadenetError('E_WEIGHTS', `Not a valid safetensors file (${source}): ${what}.`, {
    suggestions: ['Save the state dict with safetensors.torch.save_file (see the weights section of the README).'],
  });
}

/**
 * Checks the header's shape before JSON.parse sees it, in one pass over the bytes: nesting depth, entries per
 * object and values per array. JSON.parse of a hostile 100 MB header of nested arrays took 5 GB.
 */
function scanHeader(bytes: Uint8Array, source: string): void {
  let depth = 0;
  let inString = false;
  let escaped = false;
  const items: number[] = [0];
  const arrays: boolean[] = [false];
  for (let i = 0; i < bytes.length; i++) {
    const c = bytes[i] as number;
    if (inString) {
      if (escaped) escaped = false;
      else if (c === 0x5c) escaped = true;
      else if (c === 0x22) inString = false;
      continue;
    }
    if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) {
      depth++;
      if (depth > MAX_DEPTH) throw bad(`the header nests deeper than ${MAX_DEPTH} levels (at byte ${8 + i})`, source);
      items[depth] = 0;
      arrays[depth] = c === 0x5b;
    } else if (c === 0x7d || c === 0x5d) {
      depth--;
      if (depth < 0) return; // not JSON: JSON.parse says why
    } else if (c === 0x2c && depth > 0) {
      const n = ((items[depth] as number) += 1);
      const limit = arrays[depth] ? MAX_ARRAY : MAX_ENTRIES;
      if (n >= limit) throw bad(`the header has more than ${limit} ${arrays[depth] ? 'values in one array' : 'entries in one object'} (at byte ${8 + i})`, source);
    }
  }
}

/**
 * Parses and checks the header: dtypes, shapes, offsets that match each tensor's size, tensors that neither
 * overlap nor leave holes, and a data section with no trailing bytes (the format's own rules).
 */
export function parseHeader(headerBytes: Uint8Array, dataLen: number, source: string): TensorEntry[] {
  scanHeader(headerBytes, source);
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(headerBytes)) as Record<string, unknown>;
  } catch (err) {
    throw bad(`the header is not UTF-8 JSON (${(err as Error).message})`, source);
  }
  if (header === null || typeof header !== 'object' || Array.isArray(header)) throw bad('the header is not a JSON object', source);
  const entries: TensorEntry[] = [];
  for (const [name, raw] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    const entry = raw as HeaderEntry;
    const dtype = entry?.dtype as SafetensorsDtype;
    if (typeof dtype !== 'string' || !Object.hasOwn(ITEM_BYTES, dtype)) throw bad(`tensor ${name} has unsupported dtype ${String(entry?.dtype)}`, source);
    if (!Array.isArray(entry.shape) || entry.shape.some((s) => !Number.isSafeInteger(s) || s < 0)) throw bad(`tensor ${name} has shape ${JSON.stringify(entry.shape)}`, source);
    const [begin, end] = Array.isArray(entry.data_offsets) ? entry.data_offsets : [];
    const count = entry.shape.reduce((a, b) => a * b, 1);
    if (!Number.isSafeInteger(count) || !Number.isSafeInteger(begin) || !Number.isSafeInteger(end) || (begin as number) < 0 || (end as number) > dataLen || (end as number) - (begin as number) !== count * ITEM_BYTES[dtype]) {
      throw bad(`tensor ${name} has data_offsets ${JSON.stringify(entry.data_offsets)} for ${count} x ${dtype} in ${dataLen} data bytes`, source);
    }
    entries.push({ name, dtype, shape: [...entry.shape], count, begin: begin as number, end: end as number });
  }
  // Each byte of the data section belongs to exactly one tensor.
  const byOffset = [...entries].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let at = 0;
  for (const e of byOffset) {
    if (e.begin < at) throw bad(`tensor ${e.name} (bytes ${e.begin}..${e.end}) overlaps the tensor before it (which ends at ${at})`, source);
    if (e.begin > at) throw bad(`bytes ${at}..${e.begin} before tensor ${e.name} belong to no tensor`, source);
    at = Math.max(at, e.end);
  }
  if (at < dataLen) throw bad(`${dataLen - at} trailing bytes after the last tensor (data ends at ${at} of ${dataLen})`, source);
  return entries;
}

function checkFinite(name: string, data: Float32Array, source: string): Float32Array {
  for (let i = 0; i < data.length; i++) {
    const v = data[i] as number;
    if (v !== v || v === Infinity || v === -Infinity) throw bad(`tensor ${name} holds ${v} at index ${i}; expected finite numbers`, source);
  }
  return data;
}

/** Parses a safetensors buffer (small files held in artifacts). `source` names the file in error messages. */
export function readSafetensors(buf: Uint8Array, source = 'buffer'): Map<string, NamedTensor> {
  if (buf.byteLength < 8) throw bad(`only ${buf.byteLength} bytes; expected at least an 8-byte header length`, source);
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const headerLen = Number(view.getBigUint64(0, true));
  if (headerLen > MAX_HEADER_BYTES || 8 + headerLen > buf.byteLength) {
    throw bad(`header length ${headerLen} does not fit in ${buf.byteLength} bytes (at most ${MAX_HEADER_BYTES})`, source);
  }
  const dataStart = 8 + headerLen;
  const entries = parseHeader(buf.subarray(8, dataStart), buf.byteLength - dataStart, source);
  const out = new Map<string, NamedTensor>();
  for (const e of entries) out.set(e.name, { dtype: e.dtype, shape: e.shape, data: checkFinite(e.name, decode(buf, dataStart + e.begin, e.count, e.dtype), source) });
  return out;
}

export interface SafetensorsFile {
  /** Tensors by name; each one's `data` is read from the file (and checked) only when asked for. */
  tensors: Map<string, NamedTensor>;
  /** File size in bytes. */
  bytes: number;
  close(): Promise<void>;
}

/**
 * Opens a safetensors file without reading it whole: the header is read and checked, and each tensor's bytes
 * are read on first access of its `data`. Memory stays at the header plus the tensors actually used.
 */
export async function openSafetensorsFile(path: string): Promise<SafetensorsFile> {
  const { fh, size } = await openRegularFile(path, { what: 'weights file' });
  try {
    if (size < 8) throw bad(`only ${size} bytes; expected at least an 8-byte header length`, path);
    const lenBuf = Buffer.alloc(8);
    readExactlySync(fh.fd, lenBuf, 0);
    const headerLen = Number(lenBuf.readBigUInt64LE(0));
    if (headerLen > MAX_HEADER_BYTES || 8 + headerLen > size) {
      throw bad(`header length ${headerLen} does not fit in ${size} bytes (at most ${MAX_HEADER_BYTES})`, path);
    }
    const headerBytes = Buffer.alloc(headerLen);
    readExactlySync(fh.fd, headerBytes, 8);
    const dataStart = 8 + headerLen;
    const entries = parseHeader(headerBytes, size - dataStart, path);
    const tensors = new Map<string, NamedTensor>();
    for (const e of entries) {
      tensors.set(e.name, {
        dtype: e.dtype,
        shape: e.shape,
        get data(): Float32Array {
          const raw = Buffer.alloc(e.end - e.begin);
          readExactlySync(fh.fd, raw, dataStart + e.begin);
          return checkFinite(e.name, decode(raw, 0, e.count, e.dtype), path);
        },
      });
    }
    return { tensors, bytes: size, close: () => fh.close() };
  } catch (err) {
    await fh.close();
    throw err;
  }
}

function readExactlySync(fd: number, buf: Buffer, position: number): void {
  let off = 0;
  while (off < buf.length) {
    const n = readSync(fd, buf, off, buf.length - off, position + off);
    if (n === 0) throw new MadenetError('E_WEIGHTS', `The weights file ended early (wanted ${buf.length} bytes at offset ${position}); was it changed while being read?`);
    off += n;
  }
}

const LITTLE_ENDIAN_HOST = new Uint8Array(Uint16Array.of(1).buffer)[0] === 1;

/** `count` little-endian values of `dtype` at `offset`, as float32 (torch-pth.ts reads storages with it too). */
export function decode(buf: Uint8Array, offset: number, count: number, dtype: SafetensorsDtype): Float32Array {
  if (dtype === 'F32' && LITTLE_ENDIAN_HOST) {
    // One copy (which also aligns the data) instead of a DataView read per value: 69M values take ~0.1 s.
    return new Float32Array(buf.buffer.slice(buf.byteOffset + offset, buf.byteOffset + offset + count * 4));
  }
  const view = new DataView(buf.buffer, buf.byteOffset + offset, count * ITEM_BYTES[dtype]);
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) {
    switch (dtype) {
      case 'F32': out[i] = view.getFloat32(i * 4, true); break;
      case 'F64': out[i] = view.getFloat64(i * 8, true); break;
      case 'F16': out[i] = halfToFloat(view.getUint16(i * 2, true)); break;
      case 'BF16': out[i] = bf16ToFloat(view.getUint16(i * 2, true)); break;
      case 'I64': out[i] = Number(view.getBigInt64(i * 8, true)); break;
      case 'I32': out[i] = view.getInt32(i * 4, true); break;
      case 'I16': out[i] = view.getInt16(i * 2, true); break;
      case 'I8': out[i] = view.getInt8(i); break;
      case 'U8': case 'BOOL': out[i] = view.getUint8(i); break;
    }
  }
  return out;
}

function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * 2 ** -14 * (frac / 1024);
  if (exp === 0x1f) return frac ? Number.NaN : sign * Number.POSITIVE_INFINITY;
  return sign * 2 ** (exp - 15) * (1 + frac / 1024);
}

const bfScratch = new DataView(new ArrayBuffer(4));
function bf16ToFloat(b: number): number {
  bfScratch.setUint32(0, b << 16, false);
  return bfScratch.getFloat32(0, false);
}

export interface WritableTensor {
  shape: readonly number[];
  data: Float32Array;
}

/** Writes float32 tensors (names sorted, as the reference writer does) plus optional string metadata. */
export function writeSafetensors(tensors: ReadonlyMap<string, WritableTensor> | Record<string, WritableTensor>, metadata?: Record<string, string>): Buffer {
  const entries: [string, WritableTensor][] = (tensors instanceof Map ? [...tensors.entries()] : Object.entries(tensors)).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const header: Record<string, unknown> = {};
  if (metadata) header.__metadata__ = metadata;
  let offset = 0;
  for (const [name, t] of entries) {
    const count = t.shape.reduce((a: number, b: number) => a * b, 1);
    if (count !== t.data.length) throw new MadenetError('E_WEIGHTS', `Tensor ${name} has ${t.data.length} values; expected ${count} for shape [${t.shape.join(',')}].`);
    header[name] = { dtype: 'F32', shape: [...t.shape], data_offsets: [offset, offset + count * 4] };
    offset += count * 4;
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - ((8 + Buffer.byteLength(json)) % 8)) % 8); // align the data to 8 bytes
  const headerBytes = Buffer.from(json, 'utf8');
  const out = Buffer.alloc(8 + headerBytes.length + offset);
  out.writeBigUInt64LE(BigInt(headerBytes.length), 0);
  headerBytes.copy(out, 8);
  let pos = 8 + headerBytes.length;
  for (const [, t] of entries) {
    if (LITTLE_ENDIAN_HOST) {
      out.set(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength), pos);
      pos += t.data.byteLength;
    } else {
      for (let i = 0; i < t.data.length; i++, pos += 4) out.writeFloatLE(t.data[i] as number, pos);
    }
  }
  return out;
}
