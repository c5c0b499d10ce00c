// Texture sources for DRAEM-style anomalies: a folder of images (e.g. DTD) decoded once at the working size
// and kept as 8-bit RGB (size*size*3 bytes each, never full resolution), or the built-in procedural set.
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import { MadenetError } from '../core/errors.js';
import { isImagePath, MAX_INPUT_PIXELS } from '../io/formats.js';
import { type RgbImage } from '../io/image.js';
import { type Rng } from '../core/random.js';
import { proceduralTextures } from './procedural-textures.js';

export interface TextureBankOptions {
  /** Most textures kept; a larger folder is thinned evenly over its sorted file list (default 512). */
  maxTextures?: number;
  /** Files decoded at once (default 4, libuv's pool size). */
  concurrency?: number;
}

interface Entry {
  name: string;
  pixels: Uint8Array;
}

export class TextureBank {
  private constructor(
    private readonly entries: readonly Entry[],
    /** Side of every texture in pixels. */
    readonly size: number,
    /** Where the textures came from: the folder, or `procedural:<seed>`. */
    readonly source: string,
    /** Files that could not be decoded and were left out. */
    readonly skipped: readonly string[] = [],
  ) {}

  /** Decodes every image under `dir` (recursively, sorted), centre-cropped and resized to size x size. */
  static async fromDir(dir: string, size: number, opts: TextureBankOptions = {}): Promise<TextureBank> {
    const files = await listImages(dir);
    if (files.length === 0) {
      throw new MadenetError('E_NO_IMAGES', `No texture images found in ${dir}; expected PNG, JPEG, TIFF or WebP files.`, {
        suggestions: ['Point --textures at a folder of images (e.g. a DTD copy), or leave it out to use the built-in set.'],
      });
    }
    const chosen = thinEvenly(files, Math.max(1, opts.maxTextures ?? 512));
    const entries: (Entry | null)[] = new Array(chosen.length).fill(null);
    const skipped: string[] = [];
    let next = 0;
    // A fixed pool of workers pulling indices keeps at most `concurrency` decodes in flight.
    const worker = async (): Promise<void> => {
      while (next < chosen.length) {
        const i = next++;
        const file = chosen[i] as string;
        try {
          entries[i] = { name: path.relative(dir, file), pixels: await decodeSquare(file, size) };
        } catch {
          skipped.push(path.relative(dir, file));
        }
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, opts.concurrency ?? 4) }, worker));
    const ok = entries.filter((e): e is Entry => e !== null);
    if (ok.length === 0) {
      throw new MadenetError('E_DECODE', `None of the ${chosen.length} texture files in ${dir} could be decoded.`, {
        suggestions: ['Check that the folder holds ordinary PNG or JPEG images.'],
      });
    }
    return new TextureBank(ok, size, dir, skipped.sort());
  }

  /** What a `--textures` flag selects: the folder's images when one is given, else the built-in set for `seed`. */
  static async forRun(dir: string | undefined, size: number, seed: number): Promise<TextureBank> {
    return dir ? TextureBank.fromDir(dir, size) : TextureBank.procedural(size, seed);
  }

  /** The built-in set: `count` seeded procedural textures of size x size. */
  static procedural(size: number, seed = 0, count = 27): TextureBank {
    const images = proceduralTextures(size, seed, count);
    const entries = images.map((img, i) => ({ name: `procedural-${i}`, pixels: toBytes(img) }));
    return new TextureBank(entries, size, `procedural:${seed}`);
  }

  get count(): number {
    return this.entries.length;
  }

  /** Bytes held by the decoded textures. */
  get bytes(): number {
    return this.entries.reduce((s, e) => s + e.pixels.byteLength, 0);
  }

  names(): string[] {
    return this.entries.map((e) => e.name);
  }

  /** A uniformly chosen texture (one rng draw). */
  pick(rng: Rng): RgbImage {
    return this.get(rng.int(this.entries.length));
  }

  pickDetailed(rng: Rng): { image: RgbImage; index: number; name: string } {
    const index = rng.int(this.entries.length);
    return { image: this.get(index), index, name: (this.entries[index] as Entry).name };
  }

  /** A fresh float copy of texture `index` (callers may modify it). */
  get(index: number): RgbImage {
    const e = this.entries[index];
    if (!e) throw new RangeError(`TextureBank.get: index ${index} outside 0..${this.entries.length - 1}`);
    const data = new Float32Array(e.pixels.length);
    for (let i = 0; i < data.length; i++) data[i] = (e.pixels[i] as number) / 255;
    return { width: this.size, height: this.size, data };
  }
}

async function listImages(dir: string): Promise<string[]> {
  let dirents;
  try {
    dirents = await readdir(dir, { withFileTypes: true, recursive: true });
  } catch (err) {
    throw new MadenetError('E_NOT_FOUND', `Texture folder not found or unreadable: ${dir}.`, {
      suggestions: ['Pass an existing folder of images to --textures.'],
      cause: err,
    });
  }
  return dirents
    .filter((d) => d.isFile() && isImagePath(d.name))
    .map((d) => path.join(d.parentPath ?? (d as unknown as { path: string }).path, d.name))
    .sort();
}

function thinEvenly<T>(items: readonly T[], max: number): T[] {
  if (items.length <= max) return [...items];
  return Array.from({ length: max }, (_, i) => items[Math.floor((i * items.length) / max)] as T);
}

async function decodeSquare(file: string, size: number): Promise<Uint8Array> {
  const { data, info } = await sharp(file, { failOn: 'error', limitInputPixels: MAX_INPUT_PIXELS })
    .removeAlpha()
    .toColourspace('srgb')
    .resize(size, size, { fit: 'cover' })
    .raw()
    .toBuffer({ resolveWithObject: true });
  if (info.channels === 3) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength).slice();
  // Greyscale sources come back with one channel; spread it to RGB.
  const out = new Uint8Array(size * size * 3);
  for (let i = 0; i < size * size; i++) out.fill(data[i * info.channels] as number, 3 * i, 3 * i + 3);
  return out;
}

function toBytes(img: RgbImage): Uint8Array {
  const out = new Uint8Array(img.data.length);
  for (let i = 0; i < out.length; i++) out[i] = Math.round(Math.min(1, Math.max(0, img.data[i] as number)) * 255);
  return out;
}
