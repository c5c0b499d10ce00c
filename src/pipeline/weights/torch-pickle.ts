// A restricted pickle reader for PyTorch state dicts: it understands the opcodes torch.save emits (protocols 2-5)
// and only the globals needed to rebuild tensors, and never runs code. Any other global or a code-running opcode
// (NEWOBJ, INST, OBJ, EXT, PERSID text) is an E_UNSAFE_PICKLE error naming it; sizes and counts are bounded.
import { MadenetError } from '../core/errors.js';
import type { SafetensorsDtype } from './safetensors.js';

/** torch.<X>Storage classes and the dtype their bytes hold. */
export const STORAGE_DTYPES: Readonly<Record<string, SafetensorsDtype>> = {
  FloatStorage: 'F32',
  HalfStorage: 'F16',
  BFloat16Storage: 'BF16',
  DoubleStorage: 'F64',
  LongStorage: 'I64',
  IntStorage: 'I32',
  ShortStorage: 'I16',
  CharStorage: 'I8',
  ByteStorage: 'U8',
  BoolStorage: 'BOOL',
};

/** The only callables REDUCE may apply; each is implemented here as plain data construction. */
const CALLABLES = new Set([
  'collections.OrderedDict',
  'torch._utils._rebuild_tensor_v2',
  'torch._utils._rebuild_tensor',
  'torch._utils._rebuild_parameter',
]);

export class PyGlobal {
  constructor(
    readonly module: string,
    readonly name: string,
  ) {}
  get qualified(): string {
    return `${this.module}.${this.name}`;
  }
}

/** A persistent storage reference: ('storage', torch.XStorage, key, location, numel). */
export interface StorageRef {
  kind: 'storage';
  dtype: SafetensorsDtype;
  key: string;
  location: string;
  numel: number;
}

/** A rebuilt tensor: a strided view of a storage, not yet read. */
export interface TensorRef {
  kind: 'tensor';
  storage: StorageRef;
  offset: number;
  shape: number[];
  stride: number[];
}

export class PyDict {
  readonly map = new Map<string | number | boolean | null, PyValue>();
  /** Attributes set by BUILD (an OrderedDict's _metadata); kept, never interpreted. */
  attrs: PyValue = null;
}

export interface PyTuple {
  kind: 'tuple';
  items: PyValue[];
}

export interface PyList {
  kind: 'list';
  items: PyValue[];
}

export type PyValue = null | boolean | number | bigint | string | Uint8Array | PyTuple | PyList | PyDict | PyGlobal | StorageRef | TensorRef;

export interface PickleLimits {
  /** Most items on the stack (including those above marks). */
  maxStack: number;
  /** Most nested MARKs. */
  maxMarks: number;
  /** Most memo entries. */
  maxMemo: number;
  /** Most dict/list items created in all. */
  maxItems: number;
  /** Most tensor dimensions. */
  maxDims: number;
}

export const DEFAULT_PICKLE_LIMITS: PickleLimits = { maxStack: 1_000_000, maxMarks: 10_000, maxMemo: 1_000_000, maxItems: 10_000_000, maxDims: 16 };

const MARK = Symbol('mark');
type Slot = PyValue | typeof MARK;

function unsafe(what: string, source: string): MadenetError {
  return new MadenetError('E_UNSAFE_PICKLE', `Refused to load ${source}: its pickle ${what}; madenet rebuilds tensors only and never runs code from a file.`, {
    suggestions: ['Save only the state dict: torch.save(model.state_dict(), "file.pth"), or export a .safetensors file.'],
  });
}

function bad(what: string, source: string): MadenetError {
  return new MadenetError('E_WEIGHTS', `Not a valid PyTorch pickle (${source}): ${what}.`, {
    suggestions: ['Save the state dict again with torch.save(model.state_dict(), "file.pth"), or export a .safetensors file.'],
  });
}

/** Runs the pickle in `buf` with the restricted machine; returns the top-level value (a PyDict for a state dict). */
export function readTorchPickle(buf: Uint8Array, source: string, limits: PickleLimits = DEFAULT_PICKLE_LIMITS): PyValue {
  return readTorchPickleAt(buf, 0, source, limits).value;
}

/**
 * Thrown instead of E_WEIGHTS when a pickle runs past the end of a buffer that is only the start of the file
 * (`partial`): the caller reads more and runs it again. The legacy format's pickles have no length field.
 */
export class PickleNeedsMore extends Error {}

export interface PickleRun {
  value: PyValue;
  /** Byte after the STOP opcode. */
  end: number;
  /** Every storage the pickle references, by key (the legacy format lays them all after the pickles). */
  storages: Map<string, StorageRef>;
}

/** Runs one pickle that starts at byte `start` of `buf` (the legacy format holds several back to back). */
export function readTorchPickleAt(buf: Uint8Array, start: number, source: string, limits: PickleLimits = DEFAULT_PICKLE_LIMITS, partial = false): PickleRun {
  const m = new PickleMachine(buf, source, limits, partial);
  m.pos = start;
  for (;;) {
    const op = m.u8();
    if (op === STOP) return { value: m.stop(), end: m.pos, storages: m.storages };
    const run = OPCODES[op];
    if (run) {
      run(m, op);
      continue;
    }
    const name = CODE_OPCODES[op];
    if (name) throw unsafe(`uses the opcode ${name}, which creates objects by running code`, source);
    throw bad(`opcode 0x${op.toString(16).padStart(2, '0')} at byte ${m.pos - 1} is not one torch.save writes`, source);
  }
}

const STOP = 0x2e;

/** The pickle machine's state: a cursor over the bytes, the stack with its marks, the memo; every read and push bounded. */
class PickleMachine {
  readonly view: DataView;
  readonly text = new TextDecoder('utf-8', { fatal: true });
  readonly latin1 = new TextDecoder('latin1');
  pos = 0;
  private readonly stack: Slot[] = [];
  private readonly marks: number[] = [];
  readonly memo = new Map<number, PyValue>();
  readonly storages = new Map<string, StorageRef>();
  private items = 0;

  constructor(
    readonly buf: Uint8Array,
    readonly source: string,
    readonly limits: PickleLimits,
    /** True when `buf` is only the start of the file, so running past its end asks for more bytes. */
    readonly partial = false,
  ) {
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }

  bad(what: string): MadenetError {
    return bad(what, this.source);
  }

  need(n: number, what: string): void {
    if (n >= 0 && this.pos + n > this.buf.byteLength && this.partial) throw new PickleNeedsMore(what);
    if (n < 0 || this.pos + n > this.buf.byteLength) throw this.bad(`${what} at byte ${this.pos} runs past the end (${this.buf.byteLength} bytes)`);
  }

  /** Records a storage reference; one key must always name the same dtype and size. */
  storage(ref: StorageRef): StorageRef {
    const seen = this.storages.get(ref.key);
    if (seen && (seen.dtype !== ref.dtype || seen.numel !== ref.numel)) throw this.bad(`storage ${ref.key} is referenced as ${seen.numel} x ${seen.dtype} and as ${ref.numel} x ${ref.dtype}`);
    if (!seen) this.storages.set(ref.key, ref);
    return seen ?? ref;
  }

  u8(): number {
    this.need(1, 'a byte');
    return this.buf[this.pos++] as number;
  }

  /** Reads a fixed-size little-endian (BINFLOAT: big-endian) value at the cursor and moves past it. */
  private fixed<T>(n: number, what: string, read: (view: DataView, at: number) => T): T {
    this.need(n, what);
    const v = read(this.view, this.pos);
    this.pos += n;
    return v;
  }

  u16(): number {
    return this.fixed(2, 'a 2-byte argument', (v, at) => v.getUint16(at, true));
  }

  u32(): number {
    return this.fixed(4, 'a 4-byte argument', (v, at) => v.getUint32(at, true));
  }

  i32(): number {
    return this.fixed(4, 'a 4-byte argument', (v, at) => v.getInt32(at, true));
  }

  u64(): number {
    const v = this.fixed(8, 'an 8-byte argument', (view, at) => view.getBigUint64(at, true));
    if (v > BigInt(this.buf.byteLength)) throw this.bad(`a length of ${v} bytes in a ${this.buf.byteLength}-byte pickle`);
    return Number(v);
  }

  f64be(): number {
    return this.fixed(8, 'a BINFLOAT', (v, at) => v.getFloat64(at, false));
  }

  bytes(n: number, what: string): Uint8Array {
    this.need(n, what);
    const b = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return b;
  }

  line(what: string): string {
    const end = this.buf.indexOf(0x0a, this.pos);
    if (end < 0 && this.partial && this.buf.byteLength - this.pos <= 256) throw new PickleNeedsMore(what);
    if (end < 0 || end - this.pos > 256) throw this.bad(`${what} is not a short newline-terminated name`);
    const s = this.latin1.decode(this.buf.subarray(this.pos, end));
    this.pos = end + 1;
    return s;
  }

  utf8(b: Uint8Array): string {
    return decodeText(this.text, b, this.source);
  }

  push(v: PyValue): void {
    if (this.stack.length >= this.limits.maxStack) throw this.bad(`more than ${this.limits.maxStack} stack items`);
    this.stack.push(v);
  }

  pop(what: string): PyValue {
    const { stack, marks } = this;
    if (stack.length === 0 || (marks.length > 0 && stack.length <= (marks[marks.length - 1] as number))) throw this.bad(`${what} pops an empty stack`);
    const v = stack.pop() as Slot;
    if (v === MARK) throw this.bad(`${what} pops a mark`);
    return v;
  }

  top(what: string): PyValue {
    const v = this.stack[this.stack.length - 1];
    if (v === undefined || v === MARK) throw this.bad(`${what} has no object below it`);
    return v;
  }

  mark(): void {
    if (this.marks.length >= this.limits.maxMarks) throw this.bad(`more than ${this.limits.maxMarks} nested marks`);
    this.marks.push(this.stack.length);
  }

  popMark(what: string): PyValue[] {
    const m = this.marks.pop();
    if (m === undefined) throw this.bad(`${what} without a MARK`);
    return this.stack.splice(m) as PyValue[];
  }

  stop(): PyValue {
    if (this.stack.length !== 1 || this.marks.length !== 0) throw this.bad(`STOP with ${this.stack.length} stack items and ${this.marks.length} open marks; expected one value`);
    return this.stack[0] as PyValue;
  }

  countItems(n: number): void {
    this.items += n;
    if (this.items > this.limits.maxItems) throw this.bad(`more than ${this.limits.maxItems} container items`);
  }

  global(module: string, name: string): PyGlobal {
    const g = new PyGlobal(module, name);
    if (CALLABLES.has(g.qualified)) return g;
    if (module === 'torch' && name in STORAGE_DTYPES) return g;
    throw unsafe(`imports the global ${g.qualified} (allowed: ${[...CALLABLES].join(', ')}, torch.<dtype>Storage)`, this.source);
  }

  setItem(target: PyValue, key: PyValue, value: PyValue): void {
    if (!(target instanceof PyDict)) throw this.bad('SETITEM(S) on something that is not a dict');
    if (!(key === null || typeof key === 'string' || typeof key === 'number' || typeof key === 'boolean')) throw this.bad('a dict key that is not a string, number, bool or None');
    target.map.set(key, value);
  }

  /** Sets key/value pairs from a flat list [k0, v0, k1, v1, ...] of even length. */
  setItems(target: PyValue, got: PyValue[]): void {
    for (let i = 0; i < got.length; i += 2) this.setItem(target, got[i] as PyValue, got[i + 1] as PyValue);
  }

  memoize(index: number): void {
    if (this.memo.size >= this.limits.maxMemo && !this.memo.has(index)) throw this.bad(`more than ${this.limits.maxMemo} memo entries`);
    this.memo.set(index, this.top('PUT'));
  }

  recall(index: number): void {
    if (!this.memo.has(index)) throw this.bad(`GET of memo entry ${index}, which was never PUT`);
    this.push(this.memo.get(index) as PyValue);
  }
}

type Opcode = (m: PickleMachine, op: number) => void;

/** LONG1: little-endian two's complement of n bytes. */
function long1(m: PickleMachine): void {
  const n = m.u8();
  const b = m.bytes(n, 'a LONG1');
  let v = 0n;
  for (let i = n - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i] as number);
  if (n > 0 && ((b[n - 1] as number) & 0x80) !== 0) v -= 1n << BigInt(8 * n);
  m.push(v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v);
}

function tupleN(m: PickleMachine, op: number): void {
  const n = op - 0x84;
  const got: PyValue[] = [];
  for (let i = 0; i < n; i++) got.unshift(m.pop('TUPLEn'));
  m.countItems(n);
  m.push({ kind: 'tuple', items: got });
}

function dict(m: PickleMachine): void {
  const got = m.popMark('DICT');
  if (got.length % 2 !== 0) throw m.bad('DICT with an odd number of items');
  const d = new PyDict();
  m.setItems(d, got);
  m.countItems(got.length / 2);
  m.push(d);
}

function appendTo(m: PickleMachine, what: 'APPEND' | 'APPENDS', got: PyValue[]): void {
  const list = m.top(what);
  if (!isList(list)) throw m.bad(`${what} to something that is not a list`);
  m.countItems(got.length);
  list.items.push(...got);
}

function setItems(m: PickleMachine): void {
  const got = m.popMark('SETITEMS');
  if (got.length % 2 !== 0) throw m.bad('SETITEMS with an odd number of items');
  const d = m.top('SETITEMS');
  m.countItems(got.length / 2);
  m.setItems(d, got);
}

function stackGlobal(m: PickleMachine): void {
  const name = m.pop('STACK_GLOBAL');
  const module = m.pop('STACK_GLOBAL');
  if (typeof module !== 'string' || typeof name !== 'string') throw m.bad('STACK_GLOBAL of non-strings');
  m.push(m.global(module, name));
}

/** BUILD: only state on a dict (an OrderedDict's _metadata), kept as inert data. */
function build(m: PickleMachine): void {
  const state = m.pop('BUILD');
  const target = m.top('BUILD');
  if (!(target instanceof PyDict)) throw unsafe('BUILDs an object that is not a dict (setting state could run code)', m.source);
  target.attrs = state;
}

/** The opcodes torch.save writes, by byte; STOP is the loop's own. */
const OPCODES: Record<number, Opcode> = {
  0x80: (m) => {
    // PROTO
    if (m.u8() > 5) throw m.bad('a pickle protocol above 5');
  },
  0x95: (m) => void m.u64(), // FRAME: a length hint only
  0x28: (m) => m.mark(), // MARK
  0x4e: (m) => m.push(null), // NONE
  0x88: (m) => m.push(true), // NEWTRUE
  0x89: (m) => m.push(false), // NEWFALSE
  0x4a: (m) => m.push(m.i32()), // BININT
  0x4b: (m) => m.push(m.u8()), // BININT1
  0x4d: (m) => m.push(m.u16()), // BININT2
  0x8a: long1, // LONG1
  0x47: (m) => m.push(m.f64be()), // BINFLOAT (big-endian double)
  0x58: (m) => m.push(m.utf8(m.bytes(m.u32(), 'a BINUNICODE string'))), // BINUNICODE
  0x8c: (m) => m.push(m.utf8(m.bytes(m.u8(), 'a SHORT_BINUNICODE string'))), // SHORT_BINUNICODE
  0x8d: (m) => m.push(m.utf8(m.bytes(m.u64(), 'a BINUNICODE8 string'))), // BINUNICODE8
  0x55: (m) => m.push(m.latin1.decode(m.bytes(m.u8(), 'a SHORT_BINSTRING'))), // SHORT_BINSTRING (protocol 2 str of Python 2): latin-1 text
  0x54: (m) => m.push(m.latin1.decode(m.bytes(m.i32(), 'a BINSTRING'))), // BINSTRING
  0x43: (m) => m.push(m.bytes(m.u8(), 'SHORT_BINBYTES').slice()), // SHORT_BINBYTES
  0x42: (m) => m.push(m.bytes(m.u32(), 'BINBYTES').slice()), // BINBYTES
  0x29: (m) => m.push({ kind: 'tuple', items: [] }), // EMPTY_TUPLE
  0x85: tupleN, // TUPLE1
  0x86: tupleN, // TUPLE2
  0x87: tupleN, // TUPLE3
  0x74: (m) => {
    // TUPLE
    const got = m.popMark('TUPLE');
    m.countItems(got.length);
    m.push({ kind: 'tuple', items: got });
  },
  0x5d: (m) => m.push({ kind: 'list', items: [] }), // EMPTY_LIST
  0x6c: (m) => {
    // LIST
    const got = m.popMark('LIST');
    m.countItems(got.length);
    m.push({ kind: 'list', items: got });
  },
  0x7d: (m) => m.push(new PyDict()), // EMPTY_DICT
  0x64: dict, // DICT
  0x61: (m) => appendTo(m, 'APPEND', [m.pop('APPEND')]), // APPEND
  0x65: (m) => appendTo(m, 'APPENDS', m.popMark('APPENDS')), // APPENDS
  0x73: (m) => {
    // SETITEM
    const v = m.pop('SETITEM');
    const k = m.pop('SETITEM');
    m.countItems(1);
    m.setItem(m.top('SETITEM'), k, v);
  },
  0x75: setItems, // SETITEMS
  0x71: (m) => m.memoize(m.u8()), // BINPUT
  0x72: (m) => m.memoize(m.u32()), // LONG_BINPUT
  0x94: (m) => m.memoize(m.memo.size), // MEMOIZE
  0x68: (m) => m.recall(m.u8()), // BINGET
  0x6a: (m) => m.recall(m.u32()), // LONG_BINGET
  0x63: (m) => {
    // GLOBAL "module\nname\n"
    const module = m.line('GLOBAL module');
    const name = m.line('GLOBAL name');
    m.push(m.global(module, name));
  },
  0x93: stackGlobal, // STACK_GLOBAL
  0x51: (m) => m.push(m.storage(storageRef(m.pop('BINPERSID'), m.source))), // BINPERSID: torch's storage references
  0x52: (m) => {
    // REDUCE: only the allow-listed callables, implemented as data construction here
    const args = m.pop('REDUCE');
    const fn = m.pop('REDUCE');
    m.push(reduce(fn, args, m.source, m.limits));
  },
  0x62: build, // BUILD
  0x30: (m) => void m.pop('POP'), // POP
  0x31: (m) => void m.popMark('POP_MARK'), // POP_MARK
  0x32: (m) => m.push(m.top('DUP')), // DUP
};

const CODE_OPCODES: Record<number, string> = {
  0x81: 'NEWOBJ',
  0x92: 'NEWOBJ_EX',
  0x69: 'INST',
  0x6f: 'OBJ',
  0x82: 'EXT1',
  0x83: 'EXT2',
  0x84: 'EXT4',
  0x50: 'PERSID',
};

function isList(v: PyValue): v is PyList {
  return typeof v === 'object' && v !== null && 'kind' in v && v.kind === 'list';
}

function isTuple(v: PyValue): v is PyTuple {
  return typeof v === 'object' && v !== null && 'kind' in v && v.kind === 'tuple';
}

function isStorage(v: PyValue): v is StorageRef {
  return typeof v === 'object' && v !== null && 'kind' in v && v.kind === 'storage';
}

function isTensor(v: PyValue): v is TensorRef {
  return typeof v === 'object' && v !== null && 'kind' in v && v.kind === 'tensor';
}

function decodeText(text: { decode(b: Uint8Array): string }, b: Uint8Array, source: string): string {
  try {
    return text.decode(b);
  } catch {
    throw bad('a string that is not UTF-8', source);
  }
}

/** The zip format's ('storage', type, key, location, numel), or the legacy format's with a sixth item, view_metadata. */
function storageRef(pid: PyValue, source: string): StorageRef {
  if (!isTuple(pid) || !(pid.items.length === 5 || pid.items.length === 6) || pid.items[0] !== 'storage') {
    throw bad('a persistent id that is not (\'storage\', type, key, location, numel[, view_metadata])', source);
  }
  const [, type, key, location, numel, view] = pid.items;
  // Storage views (a legacy file from before PyTorch 1.0 slicing a storage) are not rebuilt; torch >= 1.0 writes None.
  if (pid.items.length === 6 && view !== null) throw bad(`storage ${String(key)} is a view of another storage (view_metadata of PyTorch < 1.0); re-save it with a current PyTorch`, source);
  if (!(type instanceof PyGlobal) || type.module !== 'torch' || !(type.name in STORAGE_DTYPES)) throw bad('a storage whose type is not a torch.<dtype>Storage', source);
  if (typeof key !== 'string' || !/^[0-9A-Za-z_.-]{1,64}$/.test(key)) throw bad(`a storage key ${JSON.stringify(key)}; expected a short name`, source);
  if (typeof location !== 'string') throw bad('a storage location that is not a string', source);
  if (typeof numel !== 'number' || !Number.isInteger(numel) || numel < 0) throw bad(`storage ${key} has ${String(numel)} elements`, source);
  return { kind: 'storage', dtype: STORAGE_DTYPES[type.name] as SafetensorsDtype, key, location, numel };
}

function intTuple(v: PyValue, what: string, source: string, limits: PickleLimits): number[] {
  if (!isTuple(v) || v.items.length > limits.maxDims) throw bad(`${what} is not a tuple of at most ${limits.maxDims} integers`, source);
  return v.items.map((x) => {
    if (typeof x !== 'number' || !Number.isInteger(x) || x < 0) throw bad(`${what} holds ${String(x)}; expected non-negative integers`, source);
    return x;
  });
}

function reduce(fn: PyValue, args: PyValue, source: string, limits: PickleLimits): PyValue {
  if (!(fn instanceof PyGlobal)) throw unsafe('REDUCEs something that is not an allowed global', source);
  if (!isTuple(args)) throw bad(`REDUCE of ${fn.qualified} with arguments that are not a tuple`, source);
  const a = args.items;
  switch (fn.qualified) {
    case 'collections.OrderedDict':
      if (a.length !== 0) throw bad('OrderedDict called with arguments; expected OrderedDict()', source);
      return new PyDict();
    case 'torch._utils._rebuild_tensor':
    case 'torch._utils._rebuild_tensor_v2': {
      // (storage, storage_offset, size, stride[, requires_grad, backward_hooks[, metadata]])
      const [storage, offset, size, stride] = a;
      if (!isStorage(storage as PyValue)) throw bad(`${fn.name} of something that is not a storage`, source);
      if (typeof offset !== 'number' || !Number.isInteger(offset) || offset < 0) throw bad(`${fn.name} with storage offset ${String(offset)}`, source);
      const shape = intTuple(size as PyValue, 'a tensor size', source, limits);
      const strides = intTuple(stride as PyValue, 'a tensor stride', source, limits);
      if (shape.length !== strides.length) throw bad(`a tensor of size (${shape.join(', ')}) with stride (${strides.join(', ')})`, source);
      const s = storage as StorageRef;
      // The highest element the view reads must lie inside its storage.
      const count = shape.reduce((x, y) => x * y, 1);
      const last = count === 0 ? offset - 1 : offset + shape.reduce((acc, n, i) => acc + (n - 1) * (strides[i] as number), 0);
      if (last >= s.numel) throw bad(`a tensor of size (${shape.join(', ')}) at offset ${offset} reads element ${last} of storage ${s.key}, which has ${s.numel}`, source);
      return { kind: 'tensor', storage: s, offset, shape, stride: strides };
    }
    case 'torch._utils._rebuild_parameter': {
      const [data] = a;
      if (!isTensor(data as PyValue)) throw bad('_rebuild_parameter of something that is not a tensor', source);
      return data as TensorRef;
    }
    default:
      throw unsafe(`calls ${fn.qualified}`, source);
  }
}

export { isTensor };
