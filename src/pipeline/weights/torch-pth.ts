// Reads a PyTorch state dict saved by torch.save (>= 1.6: a zip of <name>/data.pkl + <name>/data/<key> storages)
// into float32 tensors, through the restricted unpickler (no code runs) and the bounded zip reader.
import { open } from 'node:fs/promises';
import { MadenetError } from '../core/errors.js';
import { decode, type NamedTensor, type SafetensorsDtype } from './safetensors.js';
import { DEFAULT_PICKLE_LIMITS, PyDict, isTensor, readTorchPickle, type PickleLimits, type PyValue, type TensorRef } from './torch-pickle.js';
import { DEFAULT_ZIP_LIMITS, ZipReader, type ZipEntry, type ZipLimits } from './zip-reader.js';

const ITEM_BYTES: Record<SafetensorsDtype, number> = { F64: 8, F32: 4, F16: 2, BF16: 2, I64: 8, I32: 4, I16: 2, I8: 1, U8: 1, BOOL: 1 };

export interface PthLimits extends ZipLimits, PickleLimits {
  /** Largest data.pkl read, in bytes (a state dict's pickle is kilobytes to a few megabytes). */
  maxPickleBytes: number;
  /** Most tensors in the state dict. */
  maxTensors: number;
}

export const DEFAULT_PTH_LIMITS: PthLimits = { ...DEFAULT_ZIP_LIMITS, ...DEFAULT_PICKLE_LIMITS, maxPickleBytes: 64 * 1024 * 1024, maxTensors: 100_000 };

/** True when the file starts like a zip archive (what torch.save writes since PyTorch 1.6). */
export async function isZipFile(path: string): Promise<boolean> {
  const fh = await open(path, 'r').catch(() => null);
  if (!fh) return false;
  try {
    const head = new Uint8Array(4);
    const { bytesRead } = await fh.read(head, 0, 4, 0);
    return bytesRead === 4 && head[0] === 0x50 && head[1] === 0x4b && head[2] === 0x03 && head[3] === 0x04;
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
    const tensors = stateDictTensors(root, path, limits);
    // Read each storage once, in storage order, keeping one decoded storage in memory at a time.
    const order = [...tensors.entries()].sort((a, b) => (a[1].storage.key < b[1].storage.key ? -1 : a[1].storage.key > b[1].storage.key ? 1 : 0));
    const out = new Map<string, NamedTensor>();
    let key = '';
    let data: Float32Array = new Float32Array(0);
    for (const [name, t] of order) {
      // Storage keys are never empty (the unpickler checks them), so the first tensor always reads.
      if (key !== t.storage.key) {
        key = t.storage.key;
        data = await readStorage(zip, prefix, t, path);
      }
      out.set(name, { dtype: t.storage.dtype, shape: t.shape, data: gather(data, t) });
    }
    return new Map([...tensors.keys()].map((k) => [k, out.get(k) as NamedTensor]));
  } finally {
    await zip.close();
  }
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
