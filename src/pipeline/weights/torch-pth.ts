// Reads a PyTorch state dict saved by torch.save into float32 tensors, through the restricted unpickler (no code
// runs): the zip format (PyTorch >= 1.6: <name>/data.pkl + <name>/data/<key> storages) through the bounded zip
// reader, and the legacy format (older files, or _use_new_zipfile_serialization=False: pickles back to back, then
// the raw storages) through a file handle.
import { open, type FileHandle } from 'node:fs/promises';
import { MadenetError } from '../core/errors.js';
import { decode, type NamedTensor, type SafetensorsDtype } from './safetensors.js';
import {
  DEFAULT_PICKLE_LIMITS,
  PickleNeedsMore,
  PyDict,
  isTensor,
  readTorchPickle,
  readTorchPickleAt,
  type PickleLimits,
  type PickleRun,
  type PyValue,
  type StorageRef,
  type TensorRef,
} from './torch-pickle.js';
import { DEFAULT_ZIP_LIMITS, ZipReader, type ZipEntry, type ZipLimits } from './zip-reader.js';

const ITEM_BYTES: Record<SafetensorsDtype, number> = { F64: 8, F32: 4, F16: 2, BF16: 2, I64: 8, I32: 4, I16: 2, I8: 1, U8: 1, BOOL: 1 };

export interface PthLimits extends ZipLimits, PickleLimits {
  /** Largest data.pkl read, in bytes (a state dict's pickle is kilobytes to a few megabytes). */
  maxPickleBytes: number;
  /** Most tensors in the state dict. */
  maxTensors: number;
  /** The legacy format's first read of the file's head (grown 4x while its pickles need more, up to maxPickleBytes). */
  legacyFirstRead: number;
}

export const DEFAULT_PTH_LIMITS: PthLimits = { ...DEFAULT_ZIP_LIMITS, ...DEFAULT_PICKLE_LIMITS, maxPickleBytes: 64 * 1024 * 1024, maxTensors: 100_000, legacyFirstRead: 1 << 20 };

/** torch.serialization's MAGIC_NUMBER, the first pickle of a legacy file (a LONG1 of 10 bytes). */
const LEGACY_MAGIC = 0x1950a86a20f9469cfc6cn;
const LEGACY_MAGIC_LONG1 = [0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19];
/** torch.serialization's PROTOCOL_VERSION, the second pickle. */
const LEGACY_PROTOCOL = 1001;

/**
 * What the first bytes say: 'zip' (torch.save >= 1.6), 'legacy' (a pickle of torch's magic number: PyTorch < 1.6
 * or _use_new_zipfile_serialization=False), 'pickle' (some other pickle, which is no torch file), or null.
 */
export async function torchFileFormat(path: string): Promise<'zip' | 'legacy' | 'pickle' | null> {
  const fh = await open(path, 'r').catch(() => null);
  if (!fh) return null;
  try {
    const head = new Uint8Array(32);
    const { bytesRead } = await fh.read(head, 0, head.length, 0);
    if (bytesRead >= 4 && head[0] === 0x50 && head[1] === 0x4b && head[2] === 0x03 && head[3] === 0x04) return 'zip';
    if (bytesRead < 2 || head[0] !== 0x80 || (head[1] as number) > 5) return null;
    // PROTO n, an optional FRAME (protocol 4+), then the magic number as LONG1.
    const at = head.indexOf(0x8a, 2);
    const isMagic = at >= 0 && at <= 11 && LEGACY_MAGIC_LONG1.every((b, i) => head[at + i] === b);
    if (isMagic) return 'legacy';
    // A safetensors file starts with its header's u64 length, then "{": a length of 128, 384, ... 1408 (+ k * 64 Ki)
    // also starts with 0x80 and a byte <= 5, so only a file without that "{" is taken for a pickle.
    return bytesRead >= 9 && head[8] === 0x7b ? null : 'pickle';
  } finally {
    await fh.close();
  }
}

function bad(path: string, what: string): MadenetError {
  return new MadenetError('E_WEIGHTS', `Not a PyTorch state dict (${path}): ${what}.`, {
    suggestions: ['Save it with torch.save(model.state_dict(), "file.pth") (PyTorch >= 1.6), or export a .safetensors file (see the weights README).'],
  });
}

/**
 * The state dict's tensors by key, widened to float32, in the order of the pickle. A checkpoint holding the
 * state dict under "state_dict" or "model" (and other values beside it) is unwrapped.
 */
export async function readTorchStateDict(path: string, limits: PthLimits = DEFAULT_PTH_LIMITS): Promise<Map<string, NamedTensor>> {
  const format = await torchFileFormat(path);
  if (format === 'legacy') return readLegacyStateDict(path, limits);
  if (format === 'pickle') throw bad(path, "a plain pickle without torch.save's magic number (it was not read, let alone run)");
  const zip = await ZipReader.open(path, limits);
  try {
    const pickles = [...zip.entries.keys()].filter((n) => /^[^/]+\/data\.pkl$/.test(n));
    if (pickles.length !== 1) throw bad(path, `${pickles.length} <archive>/data.pkl entries; expected exactly one (torch.save's zip layout)`);
    const prefix = (pickles[0] as string).slice(0, -'data.pkl'.length);
    const byteorder = zip.entries.get(`${prefix}byteorder`);
    if (byteorder) {
      const order = new TextDecoder().decode(await zip.read(checkedSize(byteorder, 16, path))).trim();
      if (order !== 'little') throw bad(path, `byte order "${order}"; only little-endian files are read`);
    }
    const pkl = checkedSize(zip.entries.get(pickles[0] as string) as ZipEntry, limits.maxPickleBytes, path);
    const root = readTorchPickle(await zip.read(pkl), path, limits);
    return await gatherAll(stateDictTensors(root, path, limits), (t) => readStorage(zip, prefix, t, path));
  } finally {
    await zip.close();
  }
}

/** Reads each storage once, in storage order, keeping one decoded storage in memory at a time; pickle order out. */
async function gatherAll(tensors: Map<string, TensorRef>, readStorage: (t: TensorRef) => Promise<Float32Array>): Promise<Map<string, NamedTensor>> {
  const order = [...tensors.entries()].sort((a, b) => (a[1].storage.key < b[1].storage.key ? -1 : a[1].storage.key > b[1].storage.key ? 1 : 0));
  const out = new Map<string, NamedTensor>();
  let key = '';
  let data: Float32Array = new Float32Array(0);
  for (const [name, t] of order) {
    // Storage keys are never empty (the unpickler checks them), so the first tensor always reads.
    if (key !== t.storage.key) {
      key = t.storage.key;
      data = await readStorage(t);
    }
    out.set(name, { dtype: t.storage.dtype, shape: t.shape, data: gather(data, t) });
  }
  return new Map([...tensors.keys()].map((k) => [k, out.get(k) as NamedTensor]));
}

/**
 * The legacy format: pickles of the magic number, the protocol version (1001) and sys_info, the main pickle
 * (storages as ('storage', type, key, location, numel, None)), a pickle of the storage keys in file order, then
 * per key an int64 element count and the raw bytes. The pickles carry no length, so the head of the file is read
 * in growing pieces up to maxPickleBytes; the storages are read one at a time at their offsets.
 */
async function readLegacyStateDict(path: string, limits: PthLimits): Promise<Map<string, NamedTensor>> {
  const fh = await open(path, 'r');
  try {
    const size = (await fh.stat()).size;
    let head = await readAt(fh, 0, Math.min(size, limits.legacyFirstRead, limits.maxPickleBytes));
    const next = async (start: number): Promise<PickleRun> => {
      for (;;) {
        try {
          return readTorchPickleAt(head, start, path, limits, head.length < size);
        } catch (e) {
          if (!(e instanceof PickleNeedsMore)) throw e;
          if (head.length >= limits.maxPickleBytes) throw bad(path, `its pickles run past the first ${limits.maxPickleBytes} bytes; at most that many are read`);
          head = await readAt(fh, 0, Math.min(size, Math.max(head.length * 4, 64), limits.maxPickleBytes));
        }
      }
    };
    const magic = await next(0);
    if (magic.value !== LEGACY_MAGIC) throw bad(path, "its first pickle is not torch.save's magic number");
    const protocol = await next(magic.end);
    if (protocol.value !== LEGACY_PROTOCOL) throw bad(path, `legacy protocol version ${String(protocol.value)}; expected ${LEGACY_PROTOCOL}`);
    const sysInfo = await next(protocol.end);
    if (!(sysInfo.value instanceof PyDict)) throw bad(path, 'its sys_info pickle is not a dict');
    if (sysInfo.value.map.get('little_endian') !== true) throw bad(path, 'sys_info says big-endian; only little-endian files are read');
    const main = await next(sysInfo.end);
    const keysRun = await next(main.end);
    const keys = keysRun.value;
    if (!(typeof keys === 'object' && keys !== null && 'kind' in keys && keys.kind === 'list')) throw bad(path, 'the pickle after the state dict is not the list of storage keys');
    // Every stored storage in file order: its element count must match the pickle's, and its bytes lie in the file.
    const offsets = new Map<string, number>();
    let pos = keysRun.end;
    for (const key of keys.items) {
      const ref = typeof key === 'string' ? main.storages.get(key) : undefined;
      if (!ref) throw bad(path, `the storage list names ${JSON.stringify(key)}, which the pickle never references`);
      if (offsets.has(ref.key)) throw bad(path, `the storage list names ${ref.key} twice`);
      if (pos + 8 > size) throw bad(path, `storage ${ref.key} starts at byte ${pos}, past the end (${size} bytes)`);
      const count = new DataView((await readAt(fh, pos, 8)).buffer).getBigInt64(0, true);
      if (count !== BigInt(ref.numel)) throw bad(path, `storage ${ref.key} declares ${ref.numel} elements in the pickle but ${count} in the file`);
      const bytes = ref.numel * (ITEM_BYTES[ref.dtype] as number);
      if (pos + 8 + bytes > size) throw bad(path, `storage ${ref.key} (${bytes} bytes at byte ${pos + 8}) runs past the end (${size} bytes)`);
      offsets.set(ref.key, pos + 8);
      pos += 8 + bytes;
    }
    if (pos !== size) throw bad(path, `${size - pos} bytes follow the last storage`);
    const tensors = stateDictTensors(main.value, path, limits);
    return await gatherAll(tensors, async (t) => {
      const at = offsets.get(t.storage.key);
      if (at === undefined) throw bad(path, `storage ${t.storage.key} is not in the file's storage list`);
      return readLegacyStorage(fh, at, t.storage);
    });
  } finally {
    await fh.close();
  }
}

async function readAt(fh: FileHandle, position: number, length: number, into = new Uint8Array(length)): Promise<Uint8Array> {
  let done = 0;
  while (done < length) {
    const { bytesRead } = await fh.read(into, done, length - done, position + done);
    if (bytesRead === 0) break;
    done += bytesRead;
  }
  if (done !== length) throw new MadenetError('E_WEIGHTS', `Short read: ${done} of ${length} bytes at byte ${position}; the file changed while it was read.`);
  return into;
}

async function readLegacyStorage(fh: FileHandle, at: number, s: StorageRef): Promise<Float32Array> {
  const bytes = s.numel * (ITEM_BYTES[s.dtype] as number);
  if (s.dtype === 'F32' && LITTLE_ENDIAN_HOST) {
    const out = new Float32Array(s.numel);
    await readAt(fh, at, bytes, new Uint8Array(out.buffer));
    return out;
  }
  return decode(await readAt(fh, at, bytes), 0, s.numel, s.dtype);
}

function checkedSize(entry: ZipEntry, max: number, path: string): ZipEntry {
  if (entry.size > max) throw bad(path, `entry ${entry.name} is ${entry.size} bytes; at most ${max} are read`);
  return entry;
}

function stateDictTensors(root: PyValue, path: string, limits: PthLimits): Map<string, TensorRef> {
  if (!(root instanceof PyDict)) throw bad(path, 'the pickle holds no dict; expected a state dict (name -> tensor)');
  let dict = root;
  if (![...dict.map.values()].some(isTensor)) {
    const inner = ['state_dict', 'model'].map((k) => dict.map.get(k)).find((v) => v instanceof PyDict);
    if (!inner) throw bad(path, `the top-level dict holds no tensors (keys: ${[...dict.map.keys()].slice(0, 8).join(', ')}); expected a state dict, or one under "state_dict" or "model"`);
    dict = inner as PyDict;
  }
  const out = new Map<string, TensorRef>();
  for (const [k, v] of dict.map) {
    if (typeof k !== 'string') throw bad(path, `a state-dict key ${String(k)} that is not a string`);
    // Non-tensor values beside the tensors (rare in a state dict) are not weights; they are left out.
    if (isTensor(v)) out.set(k, v);
  }
  if (out.size === 0) throw bad(path, 'the state dict holds no tensors');
  if (out.size > limits.maxTensors) throw bad(path, `${out.size} tensors; at most ${limits.maxTensors} are read`);
  // Views may share a storage (tied weights), but a handful of storages must not expand into unbounded output.
  const storageElements = new Map<string, number>();
  for (const t of out.values()) storageElements.set(t.storage.key, t.storage.numel);
  const stored = [...storageElements.values()].reduce((a, b) => a + b, 0);
  const produced = [...out.values()].reduce((a, t) => a + t.shape.reduce((x, y) => x * y, 1), 0);
  if (produced > 4 * stored + 1_000_000) throw bad(path, `its tensors total ${produced} elements from ${stored} stored ones; views repeat storage too often`);
  return out;
}

async function readStorage(zip: ZipReader, prefix: string, t: TensorRef, path: string): Promise<Float32Array> {
  const name = `${prefix}data/${t.storage.key}`;
  const entry = zip.entries.get(name);
  if (!entry) throw bad(path, `storage ${t.storage.key} has no entry ${name}`);
  const bytes = ITEM_BYTES[t.storage.dtype];
  // The pickle's element count and the archive's byte count must agree; this bounds every read by the file.
  if (entry.size !== t.storage.numel * bytes) throw bad(path, `storage ${t.storage.key} declares ${t.storage.numel} x ${t.storage.dtype} (${t.storage.numel * bytes} bytes) but its entry holds ${entry.size}`);
  if (t.storage.dtype === 'F32' && LITTLE_ENDIAN_HOST) {
    const out = new Float32Array(t.storage.numel);
    await zip.read(entry, new Uint8Array(out.buffer));
    return out;
  }
  return decode(await zip.read(entry), 0, t.storage.numel, t.storage.dtype);
}

const LITTLE_ENDIAN_HOST = new Uint8Array(Uint16Array.of(1).buffer)[0] === 1;

/** The tensor's elements in row-major order from its strided view of the storage. */
function gather(storage: Float32Array, t: TensorRef): Float32Array {
  const count = t.shape.reduce((a, b) => a * b, 1);
  const contiguous = t.shape.every((_, i) => t.stride[i] === t.shape.slice(i + 1).reduce((a, b) => a * b, 1) || (t.shape[i] as number) <= 1);
  if (contiguous) {
    // A full contiguous storage is handed over as is (the common case: one storage per parameter).
    if (t.offset === 0 && count === storage.length) return storage;
    return storage.slice(t.offset, t.offset + count);
  }
  const out = new Float32Array(count);
  const index = new Array<number>(t.shape.length).fill(0);
  for (let k = 0; k < count; k++) {
    let src = t.offset;
    for (let d = 0; d < index.length; d++) src += (index[d] as number) * (t.stride[d] as number);
    out[k] = storage[src] as number;
    for (let d = index.length - 1; d >= 0; d--) {
      index[d] = (index[d] as number) + 1;
      if ((index[d] as number) < (t.shape[d] as number)) break;
      index[d] = 0;
    }
  }
  return out;
}
