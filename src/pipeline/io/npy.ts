// NumPy .npy files (format 1.0 written; 1.0-3.0 read) for anomaly maps: writes float32 little-endian C order;
// reads '<f4', '<f8' and '|u1' (converted to float32). No Fortran order, no big-endian, no object arrays.
import { endianness } from 'node:os';
import { MadenetError } from '../core/errors.js';
import { openRegularFile, readUpTo } from './safe-file.js';
import { writeFileAtomic } from './atomic-write.js';

export interface NpyArray {
  /** Row-major (C order) values. */
  data: Float32Array;
  shape: number[];
}

const MAGIC = Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]); // \x93NUMPY
const LITTLE = endianness() === 'LE';

export function encodeNpy(data: Float32Array, shape: readonly number[]): Buffer {
  const size = checkShape(shape);
  if (size !== data.length) {
    throw new MadenetError('E_USAGE', `Shape [${shape.join(', ')}] holds ${size} values but got ${data.length}; expected them to agree.`);
  }
  const dims = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let header = `{'descr': '<f4', 'fortran_order': False, 'shape': ${dims}, }`;
  // numpy pads so that the data starts on a 64-byte boundary; the header ends with a newline.
  const fixed = MAGIC.length + 2 + 2;
  const total = Math.ceil((fixed + header.length + 1) / 64) * 64;
  header = header.padEnd(total - fixed - 1, ' ') + '\n';
  const out = Buffer.alloc(total + data.length * 4);
  MAGIC.copy(out, 0);
  out[6] = 1;
  out[7] = 0;
  out.writeUInt16LE(header.length, 8);
  out.write(header, fixed, 'latin1');
  const body = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  if (LITTLE) body.copy(out, total);
  else for (let i = 0; i < data.length; i++) out.writeFloatLE(data[i] as number, total + i * 4);
  return out;
}

export interface NpyHeader {
  shape: number[];
  /** Values (product of the shape). */
  size: number;
  itemSize: number;
  /** Byte offset of the data. */
  offset: number;
}

/** Parses and checks the header at the start of `buf` (the data need not be there). */
export function parseNpyHeader(buf: Buffer, source = 'the .npy data'): NpyHeader {
  const bad = (why: string): MadenetError =>
    new MadenetError('E_DECODE', `Could not read ${source}: ${why}; expected a NumPy .npy file of '<f4', '<f8' or '|u1' in C order.`);
  if (buf.length < 10 || !buf.subarray(0, 6).equals(MAGIC)) throw bad('no \\x93NUMPY magic');
  const major = buf[6] as number;
  if (major < 1 || major > 3) throw bad(`unknown format version ${major}.${buf[7]}`);
  const lenBytes = major === 1 ? 2 : 4;
  if (buf.length < 8 + lenBytes) throw bad('the header is truncated');
  const headerLen = major === 1 ? buf.readUInt16LE(8) : buf.readUInt32LE(8);
  const start = 8 + lenBytes;
  if (buf.length < start + headerLen) throw bad('the header is truncated');
  const header = buf.toString(major === 3 ? 'utf8' : 'latin1', start, start + headerLen);
  const descr = /'descr'\s*:\s*'([^']*)'/.exec(header)?.[1];
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(header)?.[1];
  const shapeText = /'shape'\s*:\s*\(([^)]*)\)/.exec(header)?.[1];
  if (descr === undefined || fortran === undefined || shapeText === undefined) throw bad(`unparsable header ${JSON.stringify(header.trim().slice(0, 200))}`);
  if (fortran === 'True') throw bad('the array is in Fortran order (use np.ascontiguousarray before saving)');
  const shape = shapeText
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0)
    .map(Number);
  if (shape.some((d) => !Number.isSafeInteger(d) || d < 0)) throw bad(`bad shape (${shapeText})`);
  const size = shape.reduce((a, b) => a * b, 1);
  if (!Number.isSafeInteger(size)) throw bad(`bad shape (${shapeText})`);
  const itemSize = descr === '<f4' ? 4 : descr === '<f8' ? 8 : descr === '|u1' || descr === '<u1' ? 1 : 0;
  if (itemSize === 0) throw bad(`unsupported dtype '${descr}'`);
  return { shape, size, itemSize, offset: start + headerLen };
}

/** Aligned little-endian float32 data is returned as a view on buf (no copy); other dtypes are converted. */
export function decodeNpy(buf: Buffer, source = 'the .npy data'): NpyArray {
  const { shape, size, itemSize, offset } = parseNpyHeader(buf, source);
  if (buf.length - offset < size * itemSize) {
    throw new MadenetError('E_DECODE', `Could not read ${source}: the data is truncated (${buf.length - offset} bytes for ${size} values of ${itemSize} bytes); expected a NumPy .npy file of '<f4', '<f8' or '|u1' in C order.`);
  }
  if (itemSize === 4 && LITTLE && (buf.byteOffset + offset) % 4 === 0) {
    // Aligned float32 (numpy pads headers to 64 bytes): a view, no copy. It shares memory with buf.
    return { data: new Float32Array(buf.buffer, buf.byteOffset + offset, size), shape };
  }
  const data = new Float32Array(size);
  if (itemSize === 4) {
    if (LITTLE) Buffer.from(data.buffer).set(buf.subarray(offset, offset + size * 4));
    else for (let i = 0; i < size; i++) data[i] = buf.readFloatLE(offset + i * 4);
  } else if (itemSize === 8) {
    for (let i = 0; i < size; i++) data[i] = buf.readDoubleLE(offset + i * 8);
  } else {
    for (let i = 0; i < size; i++) data[i] = buf[offset + i] as number;
  }
  return { data, shape };
}

/** Writes atomically (temporary file, then rename), creating the parent directory. */
export async function writeNpy(path: string, data: Float32Array, shape: readonly number[]): Promise<void> {
  await writeFileAtomic(path, encodeNpy(data, shape));
}

/** Largest map read (4096 x 4096): maps are model-sized; a bigger header is a hostile file, not a map. */
export const MAX_NPY_VALUES = 4096 * 4096;
const MAX_NPY_HEADER = 65_536;

/**
 * Reads a .npy map with bounded memory: only a regular file (inside `root` when given, links resolved), the
 * header read first, and then exactly the bytes it declares, at most MAX_NPY_VALUES values; a file of another
 * length is refused. A link to /dev/zero or a FIFO is an error, not an endless read.
 */
export async function readNpy(path: string, opts: { root?: string } = {}): Promise<NpyArray> {
  const { fh, size } = await openRegularFile(path, { what: 'anomaly map', ...(opts.root !== undefined ? { root: opts.root } : {}) }).catch((err: unknown) => {
    if (err instanceof MadenetError && err.code === 'E_NOT_FOUND') throw new MadenetError('E_NOT_FOUND', `Map ${path} does not exist; expected a .npy file there.`);
    throw err;
  });
  try {
    const bad = (why: string): MadenetError => new MadenetError('E_DECODE', `Could not read ${path}: ${why}; expected a NumPy .npy map of at most ${MAX_NPY_VALUES} values.`);
    const head = Buffer.alloc(Math.min(size, 12));
    await fh.read(head, 0, head.length, 0);
    const major = head[6] as number;
    const headerLen = head.length < 12 ? 0 : major === 1 ? head.readUInt16LE(8) : head.readUInt32LE(8);
    if (headerLen > MAX_NPY_HEADER) throw bad(`a header of ${headerLen} bytes (at most ${MAX_NPY_HEADER})`);
    const top = Buffer.alloc(Math.min(size, 12 + headerLen));
    await fh.read(top, 0, top.length, 0);
    const declared = parseNpyHeader(top, path);
    if (declared.size > MAX_NPY_VALUES) throw bad(`a shape of ${declared.size} values`);
    const expected = declared.offset + declared.size * declared.itemSize;
    if (size !== expected) throw bad(`${size} bytes where its header declares ${expected}`);
    return decodeNpy(await readUpTo(fh, size), path);
  } finally {
    await fh.close();
  }
}

function checkShape(shape: readonly number[]): number {
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0) throw new MadenetError('E_USAGE', `Bad shape [${shape.join(', ')}]; expected non-negative integers.`);
  }
  return shape.reduce((a, b) => a * b, 1);
}
