// Decodes PNG/JPEG/TIFF/WebP files (8 or 16 bit; grey, grey+alpha, RGB, RGBA) into RgbImage/Mask and
// encodes them back to PNG. Strict on bad input (sharp failOn 'error', a pixel limit); holds no cache.
import { mkdir, stat, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import sharp, { type Sharp } from 'sharp';
import { MadenetError } from '../core/errors.js';
import { MAX_INPUT_PIXELS, MIN_IMAGE_SIDE } from './formats.js';
import type { Mask, RgbImage } from './image.js';

export interface DecodeOptions {
  /** Resize to size x size (aspect ratio is not kept, as in the MVTec AD protocol). */
  size?: number;
  /** Decode only this rectangle of the (EXIF-oriented) image: a tile, so a large image is never held whole. */
  region?: PixelRegion;
}

/** A rectangle of an image in source pixels (a tile). */
export interface PixelRegion {
  left: number;
  top: number;
  width: number;
  height: number;
}

export interface DecodedImage {
  image: RgbImage;
  /** Size of the file's pixels after EXIF orientation, before any resize. */
  sourceWidth: number;
  sourceHeight: number;
}

export interface MaskOptions {
  /** Output size; nearest-neighbour resize when it differs from the file's. */
  width?: number;
  height?: number;
  /** The mask must have exactly this source size (its image's), else E_MASK_SIZE. */
  expect?: { width: number; height: number; imagePath?: string };
  /** Decode only this rectangle (the tile of its image); width/height then default to the region's. */
  region?: PixelRegion;
}

const EXPECTED = 'expected a complete PNG, JPEG, TIFF or WebP image';

async function open(path: string): Promise<Sharp> {
  // Only regular files (links followed): a FIFO would block a decoder thread forever, a device never ends.
  const info = await stat(path).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT' || err.code === 'ENOTDIR') throw new MadenetError('E_NOT_FOUND', `Image ${path} does not exist; expected an image file at that path.`);
    throw err;
  });
  if (!info.isFile()) {
    const kind = info.isDirectory() ? 'a folder' : info.isFIFO() ? 'a FIFO' : info.isSocket() ? 'a socket' : 'a device';
    throw new MadenetError('E_DECODE', `Could not decode ${path}: it is ${kind}; ${EXPECTED}.`);
  }
  // failOn 'error' also rejects truncated files; sequentialRead keeps big-file decodes streaming.
  return sharp(path, { failOn: 'error', limitInputPixels: MAX_INPUT_PIXELS, autoOrient: true, sequentialRead: true });
}

interface Header {
  width: number;
  height: number;
  wide: boolean;
}

async function header(s: Sharp, path: string): Promise<Header> {
  const meta = await s.metadata().catch((err: unknown) => rethrow(err, path));
  const width = meta.autoOrient?.width ?? meta.width;
  const height = meta.autoOrient?.height ?? meta.height;
  if (!width || !height) {
    throw new MadenetError('E_DECODE', `Could not read the size of ${path}; ${EXPECTED}.`);
  }
  if (width < MIN_IMAGE_SIDE || height < MIN_IMAGE_SIDE) {
    throw new MadenetError(
      'E_IMAGE_TOO_SMALL',
      `Image ${path} is ${width}x${height} pixels; expected at least ${MIN_IMAGE_SIDE}x${MIN_IMAGE_SIDE}.`,
    );
  }
  // Anything deeper than 8 bits (16-bit PNG/TIFF) is read at 16 bits so that no precision is thrown away.
  return { width, height, wide: meta.depth !== undefined && meta.depth !== 'uchar' && meta.depth !== 'char' };
}

/** Decodes to RGB float32 in [0,1], HWC, optionally resized to size x size. Alpha is composited on black. */
export async function decodeImageWithSize(path: string, opts: DecodeOptions = {}): Promise<DecodedImage> {
  const s = await open(path);
  const h = await header(s, path);
  let p = s.flatten({ background: '#000000' });
  if (opts.region) {
    checkRegion(opts.region, h, path);
    p = p.extract(opts.region);
  }
  if (opts.size !== undefined) p = p.resize(opts.size, opts.size, { fit: 'fill' });
  const out = h.wide
    ? p.toColourspace('rgb16').raw({ depth: 'ushort' })
    : p.toColourspace('srgb').raw();
  const { data, info } = await out.toBuffer({ resolveWithObject: true }).catch((err: unknown) => rethrow(err, path));
  if (info.channels !== 3) {
    throw new MadenetError('E_DECODE', `Decoded ${path} to ${info.channels} channels; ${EXPECTED} convertible to RGB.`);
  }
  return {
    image: { width: info.width, height: info.height, data: toUnitFloat(data, h.wide) },
    sourceWidth: h.width,
    sourceHeight: h.height,
  };
}

export async function decodeImage(path: string, opts: DecodeOptions = {}): Promise<RgbImage> {
  return (await decodeImageWithSize(path, opts)).image;
}

/** Width and height of the file's pixels after EXIF orientation (reads the header only). */
export async function imageSizeOf(path: string): Promise<{ width: number; height: number }> {
  const h = await header(await open(path), path);
  return { width: h.width, height: h.height };
}

/**
 * One rectangle of the (EXIF-oriented) image decoded to RGB float32 in [0,1], optionally resized to size x size:
 * what a tiler reads, so that only one tile of a large image is in memory at a time.
 */
export async function decodeRegion(path: string, region: PixelRegion, opts: DecodeOptions = {}): Promise<RgbImage> {
  return (await decodeImageWithSize(path, { ...opts, region })).image;
}

function checkRegion(region: PixelRegion, h: Header, path: string): void {
  if (region.left < 0 || region.top < 0 || region.width < 1 || region.height < 1 || region.left + region.width > h.width || region.top + region.height > h.height) {
    throw new MadenetError('E_INTERNAL', `Region ${JSON.stringify(region)} lies outside ${path} (${h.width}x${h.height}).`);
  }
}

/** Decodes a ground-truth mask: grey (alpha on black), nearest-neighbour resize, binarised at > 0.5. */
export async function decodeMask(path: string, opts: MaskOptions = {}): Promise<Mask> {
  const s = await open(path);
  const h = await header(s, path);
  if (opts.expect && (opts.expect.width !== h.width || opts.expect.height !== h.height)) {
    const of = opts.expect.imagePath ? ` (the size of its image ${opts.expect.imagePath})` : '';
    throw new MadenetError(
      'E_MASK_SIZE',
      `Mask ${path} is ${h.width}x${h.height} pixels; expected ${opts.expect.width}x${opts.expect.height}${of}.`,
      { suggestions: ['Regenerate the mask at its image size; masks are never stretched to fit silently.'] },
    );
  }
  let p = s.flatten({ background: '#000000' });
  if (opts.region) {
    checkRegion(opts.region, h, path);
    p = p.extract(opts.region);
  }
  const out = h.wide ? p.toColourspace('grey16').raw({ depth: 'ushort' }) : p.toColourspace('b-w').raw();
  const { data, info } = await out.toBuffer({ resolveWithObject: true }).catch((err: unknown) => rethrow(err, path));
  const values = h.wide ? asUint16(data) : data;
  const half = h.wide ? 65535 / 2 : 255 / 2;
  const width = opts.width ?? info.width;
  const height = opts.height ?? info.height;
  const mask = new Float32Array(width * height);
  // Nearest neighbour done here rather than by libvips, whose large shrinks average blocks first.
  const ch = info.channels;
  for (let y = 0; y < height; y++) {
    const sy = Math.min(info.height - 1, Math.floor(((y + 0.5) * info.height) / height));
    for (let x = 0; x < width; x++) {
      const sx = Math.min(info.width - 1, Math.floor(((x + 0.5) * info.width) / width));
      mask[y * width + x] = (values[(sy * info.width + sx) * ch] as number) > half ? 1 : 0;
    }
  }
  return { width, height, data: mask };
}

/** Decodes every pixel (to a tiny output, so it is cheap) to prove a file is readable; returns its size. */
export async function verifyImage(path: string): Promise<{ width: number; height: number }> {
  const s = await open(path);
  const h = await header(s, path);
  await s.resize(MIN_IMAGE_SIDE, MIN_IMAGE_SIDE, { fit: 'fill' }).raw().toBuffer().catch((err: unknown) => rethrow(err, path));
  return { width: h.width, height: h.height };
}

/** 8-bit PNG: RGB for an RgbImage, grey for a Mask. Values are clamped to [0,1]. */
export async function encodePng(img: RgbImage | Mask): Promise<Buffer> {
  const pixels = img.width * img.height;
  const channels = img.data.length === pixels * 3 ? 3 : img.data.length === pixels ? 1 : 0;
  if (channels === 0) {
    throw new MadenetError(
      'E_INTERNAL',
      `Cannot encode a ${img.width}x${img.height} image with ${img.data.length} values; expected ${pixels} or ${pixels * 3}.`,
    );
  }
  const bytes = Buffer.alloc(img.data.length);
  for (let i = 0; i < bytes.length; i++) {
    const v = img.data[i] as number;
    bytes[i] = v > 0 ? (v < 1 ? Math.round(v * 255) : 255) : 0;
  }
  const png = sharp(bytes, { raw: { width: img.width, height: img.height, channels } });
  // Without an explicit grey colourspace libvips writes one-channel input as RGB.
  return (channels === 1 ? png.toColourspace('b-w') : png).png().toBuffer();
}

export async function writePng(path: string, img: RgbImage | Mask): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, await encodePng(img));
}

function toUnitFloat(data: Buffer, wide: boolean): Float32Array {
  if (wide) {
    const u16 = asUint16(data);
    const out = new Float32Array(u16.length);
    for (let i = 0; i < u16.length; i++) out[i] = (u16[i] as number) / 65535;
    return out;
  }
  const out = new Float32Array(data.length);
  for (let i = 0; i < data.length; i++) out[i] = (data[i] as number) / 255;
  return out;
}

/** A view of native-endian 16-bit samples (copied when the buffer is not 2-byte aligned). */
function asUint16(data: Buffer): Uint16Array {
  if (data.byteOffset % 2 === 0) return new Uint16Array(data.buffer, data.byteOffset, data.length >> 1);
  return new Uint16Array(Uint8Array.from(data).buffer);
}

async function rethrow(err: unknown, path: string): Promise<never> {
  if (err instanceof MadenetError) throw err;
  const reason = err instanceof Error ? err.message : String(err);
  if (/Input file is missing/i.test(reason)) {
    throw new MadenetError('E_NOT_FOUND', `Image ${path} does not exist; expected an image file at that path.`);
  }
  const size = await stat(path).then((s) => s.size).catch(() => -1);
  const why = size === 0 ? 'the file is empty (0 bytes)' : reason.replace(/\s+$/, '');
  throw new MadenetError('E_DECODE', `Could not decode ${path}: ${why}; ${EXPECTED}.`, {
    // Training cannot skip images (a run's data must not change under it), so the advice names the commands that can.
    suggestions: ['Re-export or remove the file; `madenet dataset inspect DIR` lists every unreadable image (`infer` and `dataset inspect` can skip them with --skip-bad-images).'],
    cause: err,
  });
}
