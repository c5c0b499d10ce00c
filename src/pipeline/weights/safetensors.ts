// Reads and writes the safetensors format (8-byte little-endian header length, JSON header, raw data) with
// float tensors widened to Float32Array. No name mapping here; see torch-mapping.ts.
import { MadenetError } from '../cli/errors.js';

export type SafetensorsDtype = 'F64' | 'F32' | 'F16' | 'BF16' | 'I64' | 'I32' | 'I16' | 'I8' | 'U8' | 'BOOL';

export interface NamedTensor {
  /** The dtype stored in the file (data is always widened/narrowed to float32). */
  dtype: SafetensorsDtype;
  shape: number[];
  data: Float32Array;
}

const ITEM_BYTES: Record<SafetensorsDtype, number> = { F64: 8, F32: 4, F16: 2, BF16: 2, I64: 8, I32: 4, I16: 2, I8: 1, U8: 1, BOOL: 1 };
/** Headers beyond this are not a real checkpoint (the reference implementation caps them at 100 MB). */
const MAX_HEADER_BYTES = 100_000_000;

interface HeaderEntry {
  dtype: string;
  shape: number[];
  data_offsets: [number, number];
}

function bad(what: string, source: string): MadenetError {
  return new MadenetError('E_WEIGHTS', `Not a valid safetensors file (${source}): ${what}.`, {
    suggestions: ['Save the state dict with safetensors.torch.save_file (see the weights section of the README).'],
  });
}

/** Parses a safetensors buffer. `source` names the file in error messages. */
export function readSafetensors(buf: Uint8Array, source = 'buffer'): Map<string, NamedTensor> {
  if (buf.byteLength < 8) throw bad(`only ${buf.byteLength} bytes; expected at least an 8-byte header length`, source);
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const headerLen = Number(view.getBigUint64(0, true));
  if (headerLen > MAX_HEADER_BYTES || 8 + headerLen > buf.byteLength) {
    throw bad(`header length ${headerLen} does not fit in ${buf.byteLength} bytes`, source);
  }
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(buf.subarray(8, 8 + headerLen))) as Record<string, unknown>;
  } catch (err) {
    throw bad(`the header is not UTF-8 JSON (${(err as Error).message})`, source);
  }
  if (header === null || typeof header !== 'object' || Array.isArray(header)) throw bad('the header is not a JSON object', source);
  const dataStart = 8 + headerLen;
  const dataLen = buf.byteLength - dataStart;
  const out = new Map<string, NamedTensor>();
  for (const [name, raw] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    const entry = raw as HeaderEntry;
    const dtype = entry?.dtype as SafetensorsDtype;
    if (!(dtype in ITEM_BYTES)) throw bad(`tensor ${name} has unsupported dtype ${String(entry?.dtype)}`, source);
    if (!Array.isArray(entry.shape) || entry.shape.some((s) => !Number.isInteger(s) || s < 0)) throw bad(`tensor ${name} has shape ${JSON.stringify(entry.shape)}`, source);
    const [begin, end] = entry.data_offsets ?? [];
    const count = entry.shape.reduce((a, b) => a * b, 1);
    if (!Number.isInteger(begin) || !Number.isInteger(end) || (begin as number) < 0 || (end as number) > dataLen || (end as number) - (begin as number) !== count * ITEM_BYTES[dtype]) {
      throw bad(`tensor ${name} has data_offsets ${JSON.stringify(entry.data_offsets)} for ${count} x ${dtype} in ${dataLen} data bytes`, source);
    }
    out.set(name, { dtype, shape: [...entry.shape], data: decode(buf, dataStart + (begin as number), count, dtype) });
  }
  return out;
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
