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
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const text = new TextDecoder('utf-8', { fatal: true });
  const latin1 = new TextDecoder('latin1');
  let pos = 0;
  const stack: Slot[] = [];
  const marks: number[] = [];
  const memo = new Map<number, PyValue>();
  let items = 0;

  const need = (n: number, what: string): void => {
    if (n < 0 || pos + n > buf.byteLength) throw bad(`${what} at byte ${pos} runs past the end (${buf.byteLength} bytes)`, source);
  };
  const u8 = (): number => {
    need(1, 'a byte');
    return buf[pos++] as number;
  };
  const u16 = (): number => {
    need(2, 'a 2-byte argument');
    const v = view.getUint16(pos, true);
    pos += 2;
    return v;
  };
  const u32 = (): number => {
    need(4, 'a 4-byte argument');
    const v = view.getUint32(pos, true);
    pos += 4;
    return v;
  };
  const i32 = (): number => {
    need(4, 'a 4-byte argument');
    const v = view.getInt32(pos, true);
    pos += 4;
    return v;
  };
  const u64 = (): number => {
    need(8, 'an 8-byte argument');
    const v = view.getBigUint64(pos, true);
    pos += 8;
    if (v > BigInt(buf.byteLength)) throw bad(`a length of ${v} bytes in a ${buf.byteLength}-byte pickle`, source);
    return Number(v);
  };
  const bytes = (n: number, what: string): Uint8Array => {
    need(n, what);
    const b = buf.subarray(pos, pos + n);
    pos += n;
    return b;
  };
  const line = (what: string): string => {
    const end = buf.indexOf(0x0a, pos);
    if (end < 0 || end - pos > 256) throw bad(`${what} is not a short newline-terminated name`, source);
    const s = latin1.decode(buf.subarray(pos, end));
    pos = end + 1;
    return s;
  };
  const push = (v: PyValue): void => {
    if (stack.length >= limits.maxStack) throw bad(`more than ${limits.maxStack} stack items`, source);
    stack.push(v);
  };
  const pop = (what: string): PyValue => {
    if (stack.length === 0 || (marks.length > 0 && stack.length <= (marks[marks.length - 1] as number))) throw bad(`${what} pops an empty stack`, source);
    const v = stack.pop() as Slot;
    if (v === MARK) throw bad(`${what} pops a mark`, source);
    return v;
  };
  const top = (what: string): PyValue => {
    const v = stack[stack.length - 1];
    if (v === undefined || v === MARK) throw bad(`${what} has no object below it`, source);
    return v;
  };
  const popMark = (what: string): PyValue[] => {
    const m = marks.pop();
    if (m === undefined) throw bad(`${what} without a MARK`, source);
    const out = stack.splice(m) as PyValue[];
    return out;
  };
  const countItems = (n: number): void => {
    items += n;
    if (items > limits.maxItems) throw bad(`more than ${limits.maxItems} container items`, source);
  };
  const global = (module: string, name: string): PyGlobal => {
    const g = new PyGlobal(module, name);
    if (CALLABLES.has(g.qualified)) return g;
    if (module === 'torch' && name in STORAGE_DTYPES) return g;
    throw unsafe(`imports the global ${g.qualified} (allowed: ${[...CALLABLES].join(', ')}, torch.<dtype>Storage)`, source);
  };
  const setItem = (target: PyValue, key: PyValue, value: PyValue): void => {
    if (!(target instanceof PyDict)) throw bad('SETITEM(S) on something that is not a dict', source);
    if (!(key === null || typeof key === 'string' || typeof key === 'number' || typeof key === 'boolean')) throw bad('a dict key that is not a string, number, bool or None', source);
    target.map.set(key, value);
  };

  for (;;) {
    const op = u8();
    switch (op) {
      case 0x80: // PROTO
        if (u8() > 5) throw bad('a pickle protocol above 5', source);
        break;
      case 0x95: // FRAME: a length hint only
        u64();
        break;
      case 0x2e: // STOP
        if (stack.length !== 1 || marks.length !== 0) throw bad(`STOP with ${stack.length} stack items and ${marks.length} open marks; expected one value`, source);
        return stack[0] as PyValue;
      case 0x28: // MARK
        if (marks.length >= limits.maxMarks) throw bad(`more than ${limits.maxMarks} nested marks`, source);
        marks.push(stack.length);
        break;
      case 0x4e: // NONE
        push(null);
        break;
      case 0x88: // NEWTRUE
        push(true);
        break;
      case 0x89: // NEWFALSE
        push(false);
        break;
      case 0x4a: // BININT
        push(i32());
        break;
      case 0x4b: // BININT1
        push(u8());
        break;
      case 0x4d: // BININT2
        push(u16());
        break;
      case 0x8a: {
        // LONG1: little-endian two's complement of n bytes
        const n = u8();
        const b = bytes(n, 'a LONG1');
        let v = 0n;
        for (let i = n - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i] as number);
        if (n > 0 && ((b[n - 1] as number) & 0x80) !== 0) v -= 1n << BigInt(8 * n);
        push(v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v);
        break;
      }
      case 0x47: // BINFLOAT (big-endian double)
        need(8, 'a BINFLOAT');
        push(view.getFloat64(pos, false));
        pos += 8;
        break;
      case 0x58: // BINUNICODE
        push(decodeText(text, bytes(u32(), 'a BINUNICODE string'), source));
        break;
      case 0x8c: // SHORT_BINUNICODE
        push(decodeText(text, bytes(u8(), 'a SHORT_BINUNICODE string'), source));
        break;
      case 0x8d: // BINUNICODE8
        push(decodeText(text, bytes(u64(), 'a BINUNICODE8 string'), source));
        break;
      case 0x55: // SHORT_BINSTRING (protocol 2 str of Python 2): latin-1 text
        push(latin1.decode(bytes(u8(), 'a SHORT_BINSTRING')));
        break;
      case 0x54: // BINSTRING
        push(latin1.decode(bytes(i32(), 'a BINSTRING')));
        break;
      case 0x43: // SHORT_BINBYTES
        push(bytes(u8(), 'SHORT_BINBYTES').slice());
        break;
      case 0x42: // BINBYTES
        push(bytes(u32(), 'BINBYTES').slice());
        break;
      case 0x29: // EMPTY_TUPLE
        push({ kind: 'tuple', items: [] });
        break;
      case 0x85: // TUPLE1
      case 0x86: // TUPLE2
      case 0x87: {
        // TUPLE3
        const n = op - 0x84;
        const got: PyValue[] = [];
        for (let i = 0; i < n; i++) got.unshift(pop('TUPLEn'));
        countItems(n);
        push({ kind: 'tuple', items: got });
        break;
      }
      case 0x74: {
        // TUPLE
        const got = popMark('TUPLE');
        countItems(got.length);
        push({ kind: 'tuple', items: got });
        break;
      }
      case 0x5d: // EMPTY_LIST
        push({ kind: 'list', items: [] });
        break;
      case 0x6c: {
        // LIST
        const got = popMark('LIST');
        countItems(got.length);
        push({ kind: 'list', items: got });
        break;
      }
      case 0x7d: // EMPTY_DICT
        push(new PyDict());
        break;
      case 0x64: {
        // DICT
        const got = popMark('DICT');
        if (got.length % 2 !== 0) throw bad('DICT with an odd number of items', source);
        const d = new PyDict();
        for (let i = 0; i < got.length; i += 2) setItem(d, got[i] as PyValue, got[i + 1] as PyValue);
        countItems(got.length / 2);
        push(d);
        break;
      }
      case 0x61: {
        // APPEND
        const v = pop('APPEND');
        const list = top('APPEND');
        if (!isList(list)) throw bad('APPEND to something that is not a list', source);
        countItems(1);
        list.items.push(v);
        break;
      }
      case 0x65: {
        // APPENDS
        const got = popMark('APPENDS');
        const list = top('APPENDS');
        if (!isList(list)) throw bad('APPENDS to something that is not a list', source);
        countItems(got.length);
        list.items.push(...got);
        break;
      }
      case 0x73: {
        // SETITEM
        const v = pop('SETITEM');
        const k = pop('SETITEM');
        countItems(1);
        setItem(top('SETITEM'), k, v);
        break;
      }
      case 0x75: {
        // SETITEMS
        const got = popMark('SETITEMS');
        if (got.length % 2 !== 0) throw bad('SETITEMS with an odd number of items', source);
        const d = top('SETITEMS');
        countItems(got.length / 2);
        for (let i = 0; i < got.length; i += 2) setItem(d, got[i] as PyValue, got[i + 1] as PyValue);
        break;
      }
      case 0x71: // BINPUT
      case 0x72: // LONG_BINPUT
      case 0x94: {
        // MEMOIZE
        const index = op === 0x71 ? u8() : op === 0x72 ? u32() : memo.size;
        if (memo.size >= limits.maxMemo && !memo.has(index)) throw bad(`more than ${limits.maxMemo} memo entries`, source);
        memo.set(index, top('PUT'));
        break;
      }
      case 0x68: // BINGET
      case 0x6a: {
        // LONG_BINGET
        const index = op === 0x68 ? u8() : u32();
        if (!memo.has(index)) throw bad(`GET of memo entry ${index}, which was never PUT`, source);
        push(memo.get(index) as PyValue);
        break;
      }
      case 0x63: {
        // GLOBAL "module\nname\n"
        const module = line('GLOBAL module');
        const name = line('GLOBAL name');
        push(global(module, name));
        break;
      }
      case 0x93: {
        // STACK_GLOBAL
        const name = pop('STACK_GLOBAL');
        const module = pop('STACK_GLOBAL');
        if (typeof module !== 'string' || typeof name !== 'string') throw bad('STACK_GLOBAL of non-strings', source);
        push(global(module, name));
        break;
      }
      case 0x51: {
        // BINPERSID: torch's storage references
        push(storageRef(pop('BINPERSID'), source));
        break;
      }
      case 0x52: {
        // REDUCE: only the allow-listed callables, implemented as data construction here
        const args = pop('REDUCE');
        const fn = pop('REDUCE');
        push(reduce(fn, args, source, limits));
        break;
      }
      case 0x62: {
        // BUILD: only state on a dict (an OrderedDict's _metadata), kept as inert data
        const state = pop('BUILD');
        const target = top('BUILD');
        if (!(target instanceof PyDict)) throw unsafe('BUILDs an object that is not a dict (setting state could run code)', source);
        target.attrs = state;
        break;
      }
      case 0x30: // POP
        pop('POP');
        break;
      case 0x31: // POP_MARK
        popMark('POP_MARK');
        break;
      case 0x32: // DUP
        push(top('DUP'));
        break;
      default: {
        const name = CODE_OPCODES[op];
        if (name) throw unsafe(`uses the opcode ${name}, which creates objects by running code`, source);
        throw bad(`opcode 0x${op.toString(16).padStart(2, '0')} at byte ${pos - 1} is not one torch.save writes`, source);
      }
    }
  }
}

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

function storageRef(pid: PyValue, source: string): StorageRef {
  if (!isTuple(pid) || pid.items.length !== 5 || pid.items[0] !== 'storage') throw bad('a persistent id that is not (\'storage\', type, key, location, numel)', source);
  const [, type, key, location, numel] = pid.items;
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
