// Writes what torch.save writes, byte for byte in structure, without PyTorch: a protocol-2 pickle of an
// OrderedDict of _rebuild_tensor_v2 calls over persistent storages, inside a zip (stored, 64-byte aligned data,
// zip64 end records as PyTorch's writer adds them). Also a raw pickle builder for hostile cases.
import { crc32, deflateRawSync } from 'node:zlib';

export type TorchDtype = 'F32' | 'F16' | 'BF16' | 'F64' | 'I64';

const STORAGE_CLASS: Record<TorchDtype, string> = { F32: 'FloatStorage', F16: 'HalfStorage', BF16: 'BFloat16Storage', F64: 'DoubleStorage', I64: 'LongStorage' };
const ITEM: Record<TorchDtype, number> = { F32: 4, F16: 2, BF16: 2, F64: 8, I64: 8 };

/** Emits pickle opcodes; every method appends and returns this. */
export class PickleBuilder {
  private parts: number[] = [];
  private memo = 0;

  // The opcodes without an argument (pickletools names in capitals).
  readonly mark = (): this => this.raw(0x28); // MARK
  readonly tuple = (): this => this.raw(0x74); // TUPLE
  readonly emptyTuple = (): this => this.raw(0x29); // EMPTY_TUPLE
  readonly emptyDict = (): this => this.raw(0x7d); // EMPTY_DICT
  readonly reduce = (): this => this.raw(0x52); // REDUCE
  readonly setitems = (): this => this.raw(0x75); // SETITEMS
  readonly stop = (): this => this.raw(0x2e); // STOP

  raw(...bytes: number[]): this {
    this.parts.push(...bytes);
    return this;
  }
  proto(v = 2): this {
    return this.raw(0x80, v);
  }
  global(module: string, name: string): this {
    return this.raw(0x63, ...Buffer.from(`${module}\n${name}\n`, 'latin1'));
  }
  stackGlobal(module: string, name: string): this {
    return this.str(module).str(name).raw(0x93);
  }
  str(s: string): this {
    const b = Buffer.from(s, 'utf8');
    const len = Buffer.alloc(4);
    len.writeUInt32LE(b.length);
    return this.raw(0x58, ...len, ...b);
  }
  int(v: number): this {
    if (v >= 0 && v < 256) return this.raw(0x4b, v);
    if (v >= 0 && v < 65536) return this.raw(0x4d, v & 0xff, v >> 8);
    const b = Buffer.alloc(4);
    b.writeInt32LE(v);
    return this.raw(0x4a, ...b);
  }
  ints(vs: readonly number[]): this {
    this.mark();
    for (const v of vs) this.int(v);
    return this.tuple();
  }
  put(): this {
    return this.raw(0x71, this.memo++ & 0xff);
  }
  bytes(): Uint8Array {
    return Uint8Array.from(this.parts);
  }
}

export interface PthTensor {
  shape: number[];
  /** Row-major values; written in `dtype`. */
  data: Float32Array;
  dtype?: TorchDtype;
  /** Share another tensor's storage key (with this offset and stride) instead of writing a new storage. */
  view?: { storage: string; offset: number; stride: number[] };
}

export interface PthOptions {
  /** Top-level directory inside the zip (torch uses the file stem or "archive"). */
  archive?: string;
  deflate?: boolean;
  /** Put the state dict under this key of an outer dict, beside an int "epoch". */
  wrapIn?: string;
  /** Add PyTorch's zip64 end records (its writer always does). */
  zip64?: boolean;
}

/** The pickle torch.save writes for a state dict; storage keys are "0", "1", ... in tensor order. */
export function stateDictPickle(tensors: ReadonlyMap<string, PthTensor>, opts: PthOptions = {}): { pickle: Uint8Array; storages: Map<string, Uint8Array> } {
  const p = new PickleBuilder().proto(2);
  if (opts.wrapIn) p.emptyDict().put().mark().str('epoch').int(7).str(opts.wrapIn);
  p.global('collections', 'OrderedDict').put().emptyTuple().reduce().put().mark();
  const storages = new Map<string, Uint8Array>();
  let next = 0;
  for (const [name, t] of tensors) {
    const dtype = t.dtype ?? 'F32';
    let key: string;
    let numel: number;
    let offset = 0;
    let stride = contiguousStride(t.shape);
    if (t.view) {
      key = t.view.storage;
      numel = (storages.get(key)?.byteLength ?? 0) / ITEM[dtype];
      offset = t.view.offset;
      stride = t.view.stride;
    } else {
      key = String(next++);
      storages.set(key, encode(t.data, dtype));
      numel = t.data.length;
    }
    p.str(name).put().global('torch._utils', '_rebuild_tensor_v2').put().mark();
    p.mark().str('storage').global('torch', STORAGE_CLASS[dtype]).put().str(key).str('cpu').int(numel).tuple().raw(0x51);
    p.int(offset).ints(t.shape).ints(stride).raw(0x89).global('collections', 'OrderedDict').emptyTuple().reduce().tuple().reduce().put();
  }
  p.setitems();
  // state_dict()'s _metadata attribute, set through BUILD as pickle does for an OrderedDict subclass's __dict__
  p.emptyDict().str('_metadata').global('collections', 'OrderedDict').emptyTuple().reduce().raw(0x73).raw(0x62);
  if (opts.wrapIn) p.setitems();
  return { pickle: p.stop().bytes(), storages };
}

export function writePth(tensors: ReadonlyMap<string, PthTensor>, opts: PthOptions = {}): Buffer {
  const { pickle, storages } = stateDictPickle(tensors, opts);
  const archive = opts.archive ?? 'archive';
  const entries: [string, Uint8Array][] = [
    [`${archive}/data.pkl`, pickle],
    [`${archive}/byteorder`, Buffer.from('little')],
    ...[...storages].map(([k, v]) => [`${archive}/data/${k}`, v] as [string, Uint8Array]),
    [`${archive}/version`, Buffer.from('3\n')],
  ];
  return writeZip(entries, { deflate: opts.deflate, zip64: opts.zip64 ?? true });
}

/**
 * What PyTorch 2.x's torch.save writes (torch/serialization.py _save + miniz through PyTorchStreamWriter), from its
 * public source: records data.pkl, .format_version ("1"), .storage_alignment ("64"), byteorder, data/<key> in
 * numeric key order (0, 1, ..., 10, 11: format version 1), then version and .data/serialization_id; every record's
 * data 64-byte aligned by an "FB" padding extra field; data descriptors (bit 3); zip64 end records. torch 1.13 (the
 * committed fixtures, and writePth) writes the same but for the four new records, the order and the descriptors.
 */
export function torch2Pth(tensors: ReadonlyMap<string, PthTensor>, byteorder = 'little', archive = 'archive'): Buffer {
  const { pickle, storages } = stateDictPickle(tensors);
  const keys = [...storages.keys()].sort((a, b) => Number(a) - Number(b));
  const records: [string, Uint8Array][] = [
    ['data.pkl', pickle],
    ['.format_version', Buffer.from('1')],
    ['.storage_alignment', Buffer.from('64')],
    ['byteorder', Buffer.from(byteorder)],
    ...keys.map((k) => [`data/${k}`, storages.get(k) as Uint8Array] as [string, Uint8Array]),
    ['version', Buffer.from('3\n')],
    ['.data/serialization_id', Buffer.from('1234567890123456789012345678901234567890')],
  ];
  return writeZip(records.map(([rel, data]) => [`${archive}/${rel}`, data]), { zip64: true, dataDescriptors: true });
}

export function contiguousStride(shape: readonly number[]): number[] {
  return shape.map((_, i) => shape.slice(i + 1).reduce((a, b) => a * b, 1));
}

function encode(data: Float32Array, dtype: TorchDtype): Uint8Array {
  const out = Buffer.alloc(data.length * ITEM[dtype]);
  data.forEach((v, i) => {
    if (dtype === 'F32') out.writeFloatLE(v, i * 4);
    else if (dtype === 'F64') out.writeDoubleLE(v, i * 8);
    else if (dtype === 'I64') out.writeBigInt64LE(BigInt(Math.round(v)), i * 8);
    else if (dtype === 'BF16') {
      const b = Buffer.alloc(4);
      b.writeFloatLE(v);
      out.writeUInt16LE(b.readUInt16LE(2), i * 2); // exact for values representable in bf16
    } else out.writeUInt16LE(toHalf(v), i * 2);
  });
  return out;
}

/** float -> IEEE half for values exactly representable in it (the tests use such values). */
function toHalf(v: number): number {
  if (v === 0) return Object.is(v, -0) ? 0x8000 : 0;
  const sign = v < 0 ? 0x8000 : 0;
  const a = Math.abs(v);
  const exp = Math.floor(Math.log2(a));
  if (exp < -14) return sign | Math.round(a / 2 ** -24);
  return sign | ((exp + 15) << 10) | Math.round((a / 2 ** exp - 1) * 1024);
}

export interface ZipOptions {
  deflate?: boolean;
  zip64?: boolean;
  /**
   * General-purpose bit 3, as PyTorch 2.x's writer sets: the local header holds zero CRC and sizes and a 16-byte data
   * descriptor follows each non-empty record (the central directory has the real values).
   */
  dataDescriptors?: boolean;
}

/**
 * The fields a local and a central zip header share, from "version needed" on (the local header has them at 4,
 * the central one at 6): version 2.0, no flags, `method`, no time or date, crc, both sizes, name length.
 */
function writeSharedHeader(b: Buffer, at: number, method: number, data: Uint8Array, packed: Buffer, nameLength: number, flags = 0, sizes = true): void {
  b.writeUInt16LE(20, at);
  b.writeUInt16LE(flags, at + 2);
  b.writeUInt16LE(method, at + 4);
  if (sizes) {
    b.writeUInt32LE(crc32(data), at + 10);
    b.writeUInt32LE(packed.length, at + 14);
    b.writeUInt32LE(data.byteLength, at + 18);
  }
  b.writeUInt16LE(nameLength, at + 22);
}

/** The data descriptor that follows a record written with bit 3: signature, CRC, compressed and plain sizes. */
function dataDescriptor(data: Uint8Array, packed: Buffer): Buffer {
  const d = Buffer.alloc(16);
  d.writeUInt32LE(0x08074b50, 0);
  d.writeUInt32LE(crc32(data), 4);
  d.writeUInt32LE(packed.length, 8);
  d.writeUInt32LE(data.byteLength, 12);
  return d;
}

/** A zip of the given entries: 64-byte aligned data (as PyTorch's writer pads), central directory, end records. */
export function writeZip(entries: readonly [string, Uint8Array][], opts: ZipOptions = {}): Buffer {
  const chunks: Buffer[] = [];
  const central: Buffer[] = [];
  let offset = 0;
  for (const [name, data] of entries) {
    const packed = opts.deflate ? deflateRawSync(data) : Buffer.from(data);
    const nameBytes = Buffer.from(name, 'utf8');
    const pad = (64 - ((offset + 30 + nameBytes.length + 4) % 64)) % 64;
    const extra = Buffer.alloc(4 + pad);
    extra.writeUInt16LE(0x4246, 0); // "FB": PyTorch's alignment padding field
    extra.writeUInt16LE(pad, 2);
    const local = Buffer.alloc(30);
    const method = opts.deflate ? 8 : 0;
    const described = opts.dataDescriptors === true && data.byteLength > 0;
    const flags = opts.dataDescriptors ? 0x0800 | (described ? 0x0008 : 0) : 0; // 0x0800: UTF-8 names, as miniz sets
    local.writeUInt32LE(0x04034b50, 0);
    writeSharedHeader(local, 4, method, data, packed, nameBytes.length, flags, !described);
    local.writeUInt16LE(extra.length, 28);
    const c = Buffer.alloc(46);
    c.writeUInt32LE(0x02014b50, 0);
    c.writeUInt16LE(20, 4); // version made by
    writeSharedHeader(c, 6, method, data, packed, nameBytes.length, flags);
    c.writeUInt32LE(offset, 42);
    central.push(c, nameBytes);
    const descriptor = described ? dataDescriptor(data, packed) : Buffer.alloc(0);
    chunks.push(local, nameBytes, extra, packed, descriptor);
    offset += 30 + nameBytes.length + extra.length + packed.length + descriptor.length;
  }
  const dir = Buffer.concat(central);
  const tail: Buffer[] = [];
  if (opts.zip64) {
    const z = Buffer.alloc(56);
    z.writeUInt32LE(0x06064b50, 0);
    z.writeBigUInt64LE(44n, 4);
    z.writeUInt16LE(45, 12);
    z.writeUInt16LE(45, 14);
    z.writeBigUInt64LE(BigInt(entries.length), 24);
    z.writeBigUInt64LE(BigInt(entries.length), 32);
    z.writeBigUInt64LE(BigInt(dir.length), 40);
    z.writeBigUInt64LE(BigInt(offset), 48);
    const loc = Buffer.alloc(20);
    loc.writeUInt32LE(0x07064b50, 0);
    loc.writeBigUInt64LE(BigInt(offset + dir.length), 8);
    loc.writeUInt32LE(1, 16);
    tail.push(z, loc);
  }
  const eocd = Buffer.alloc(22);
  eocd.writeUInt32LE(0x06054b50, 0);
  eocd.writeUInt16LE(entries.length, 8);
  eocd.writeUInt16LE(entries.length, 10);
  eocd.writeUInt32LE(dir.length, 12);
  eocd.writeUInt32LE(offset, 16);
  return Buffer.concat([...chunks, dir, ...tail, eocd]);
}
