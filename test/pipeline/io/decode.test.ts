import { readFile, writeFile } from 'node:fs/promises';
import { crc32, deflateSync } from 'node:zlib';
import { join } from 'node:path';
import sharp, { type Sharp } from 'sharp';
import { decodeImage, decodeImageWithSize, decodeMask, encodePng, verifyImage, writePng } from '../../../src/pipeline/io/decode.js';
import { createImage, createMask } from '../../../src/pipeline/io/image.js';
import { useTempDir } from '../../helpers/temp-dir.js';

const W = 12;
const H = 10;

/** 8-bit raw pixels where pixel i has channel c = (i * 7 + c * 40) % 256. */
function pattern8(channels: number): Buffer {
  const b = Buffer.alloc(W * H * channels);
  for (let i = 0; i < W * H; i++) for (let c = 0; c < channels; c++) b[i * channels + c] = (i * 7 + c * 40) % 256;
  return b;
}

/** A minimal uncompressed little-endian 16-bit RGB TIFF (sharp can only write 8-bit TIFF). */
function tiff16(width: number, height: number, rgb: Uint16Array): Buffer {
  const entries: [number, number, number, number][] = [
    [256, 3, 1, width],
    [257, 3, 1, height],
    [258, 3, 3, 134], // BitsPerSample: three values stored after the IFD
    [259, 3, 1, 1], // no compression
    [262, 3, 1, 2], // RGB
    [273, 4, 1, 140], // strip offset
    [277, 3, 1, 3],
    [278, 3, 1, height],
    [279, 4, 1, rgb.length * 2],
    [284, 3, 1, 1], // interleaved
  ];
  const b = Buffer.alloc(140 + rgb.length * 2);
  b.write('II', 0, 'latin1');
  b.writeUInt16LE(42, 2);
  b.writeUInt32LE(8, 4);
  b.writeUInt16LE(entries.length, 8);
  entries.forEach(([tag, type, count, value], i) => {
    const at = 10 + i * 12;
    b.writeUInt16LE(tag, at);
    b.writeUInt16LE(type, at + 2);
    b.writeUInt32LE(count, at + 4);
    if (type === 3 && count === 1) b.writeUInt16LE(value, at + 8);
    else b.writeUInt32LE(value, at + 8);
  });
  for (let c = 0; c < 3; c++) b.writeUInt16LE(16, 134 + c * 2);
  rgb.forEach((v, i) => b.writeUInt16LE(v, 140 + i * 2));
  return b;
}

describe('decodeImage', () => {
  const tmp = useTempDir('madenet-decode-');

  async function write(name: string, img: Sharp): Promise<string> {
    const path = join(tmp.path, name);
    await img.toFile(path);
    return path;
  }

  it('decodes 8-bit RGB PNG exactly to HWC float32 in [0,1]', async () => {
    const raw = pattern8(3);
    const path = await write('rgb8.png', sharp(raw, { raw: { width: W, height: H, channels: 3 } }).png());
    const img = await decodeImage(path);
    expect([img.width, img.height, img.data.length]).toEqual([W, H, W * H * 3]);
    for (let i = 0; i < raw.length; i++) expect(img.data[i]).toBeCloseTo((raw[i] as number) / 255, 6);
  });

  it('keeps 16-bit precision for 16-bit grey and RGB PNG', async () => {
    const grey = new Uint16Array(W * H).map((_, i) => i * 500 + 3);
    const g = await decodeImage(await write('g16.png', sharp(grey, { raw: { width: W, height: H, channels: 1 } }).toColourspace('grey16').png()));
    const rgb = new Uint16Array(W * H * 3).map((_, i) => (i * 181 + 1) % 65536);
    const c = await decodeImage(await write('c16.png', sharp(rgb, { raw: { width: W, height: H, channels: 3 } }).toColourspace('rgb16').png()));
    for (let i = 0; i < W * H; i++) {
      for (let ch = 0; ch < 3; ch++) expect(g.data[i * 3 + ch]).toBeCloseTo((grey[i] as number) / 65535, 6);
    }
    for (let i = 0; i < rgb.length; i++) expect(c.data[i]).toBeCloseTo((rgb[i] as number) / 65535, 6);
    // 3/65535 is not representable in 8 bits: proves nothing was rounded to 8 bits on the way.
    expect(g.data[0]).toBeCloseTo(3 / 65535, 8);
  });

  it('keeps 16-bit precision for 16-bit RGB TIFF', async () => {
    const rgb = new Uint16Array(W * H * 3).map((_, i) => (i * 263 + 5) % 65536);
    const path = join(tmp.path, 'c16.tif');
    await writeFile(path, tiff16(W, H, rgb));
    expect((await sharp(path).metadata()).depth).toBe('ushort');
    const img = await decodeImage(path);
    for (let i = 0; i < rgb.length; i++) expect(img.data[i]).toBeCloseTo((rgb[i] as number) / 65535, 6);
  });

  it('expands 8-bit grey to three equal channels', async () => {
    const raw = pattern8(1);
    const img = await decodeImage(await write('g8.png', sharp(raw, { raw: { width: W, height: H, channels: 1 } }).toColourspace('b-w').png()));
    for (let i = 0; i < W * H; i++) {
      expect(img.data[i * 3]).toBeCloseTo((raw[i] as number) / 255, 6);
      expect(img.data[i * 3 + 1]).toBe(img.data[i * 3]);
      expect(img.data[i * 3 + 2]).toBe(img.data[i * 3]);
    }
  });

  it('composites RGBA and grey+alpha onto black', async () => {
    const rgba = Buffer.alloc(W * H * 4);
    for (let i = 0; i < W * H; i++) rgba.set([200, 100, 50, i % 2 === 0 ? 255 : 0], i * 4);
    const img = await decodeImage(await write('rgba.png', sharp(rgba, { raw: { width: W, height: H, channels: 4 } }).png()));
    expect(Array.from(img.data.subarray(0, 6)).map((v) => Math.round(v * 255))).toEqual([200, 100, 50, 0, 0, 0]);
    const ga = Buffer.alloc(W * H * 2);
    for (let i = 0; i < W * H; i++) ga.set([120, i % 2 === 0 ? 255 : 0], i * 2);
    const g = await decodeImage(await write('ga.png', sharp(ga, { raw: { width: W, height: H, channels: 2 } }).toColourspace('b-w').png()));
    expect(Array.from(g.data.subarray(0, 6)).map((v) => Math.round(v * 255))).toEqual([120, 120, 120, 0, 0, 0]);
  });

  it.each([
    ['jpeg', (s: Sharp) => s.jpeg({ quality: 100, chromaSubsampling: '4:4:4' }), 4],
    ['tiff', (s: Sharp) => s.tiff({ compression: 'lzw' }), 0],
    ['webp', (s: Sharp) => s.webp({ lossless: true }), 0],
  ])('decodes %s to the colour it was written with', async (ext, encode, tolerance) => {
    const solid = sharp({ create: { width: W, height: H, channels: 3, background: { r: 250, g: 128, b: 10 } } });
    const img = await decodeImage(await write(`solid.${ext}`, encode(solid)));
    expect([img.width, img.height]).toEqual([W, H]);
    const px = Array.from(img.data.subarray(0, 3)).map((v) => Math.round(v * 255));
    [250, 128, 10].forEach((v, c) => expect(Math.abs((px[c] as number) - v)).toBeLessThanOrEqual(tolerance));
  });

  it('resizes to size x size and reports the source size', async () => {
    const path = await write('big.png', sharp(pattern8(3), { raw: { width: W, height: H, channels: 3 } }).png());
    const out = await decodeImageWithSize(path, { size: 8 });
    expect([out.image.width, out.image.height, out.image.data.length, out.sourceWidth, out.sourceHeight]).toEqual([8, 8, 192, W, H]);
    expect(Math.min(...out.image.data)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...out.image.data)).toBeLessThanOrEqual(1);
  });

  describe('bad files', () => {
    it('truncated PNG -> E_DECODE naming the file', async () => {
      const full = await sharp({ create: { width: 64, height: 64, channels: 3, background: '#808080' } }).png({ compressionLevel: 0 }).toBuffer();
      const path = join(tmp.path, 'truncated.png');
      await writeFile(path, full.subarray(0, full.length >> 1));
      await expect(decodeImage(path)).rejects.toMatchObject({ code: 'E_DECODE', message: expect.stringContaining(path) });
      await expect(verifyImage(path)).rejects.toMatchObject({ code: 'E_DECODE' });
    });

    it('zero-byte file -> E_DECODE saying it is empty', async () => {
      const path = join(tmp.path, 'empty.png');
      await writeFile(path, '');
      await expect(decodeImage(path)).rejects.toMatchObject({ code: 'E_DECODE', message: expect.stringContaining('empty (0 bytes)') });
    });

    it('text named .png -> E_DECODE with what was expected', async () => {
      const path = join(tmp.path, 'text.png');
      await writeFile(path, 'this is not an image\n');
      await expect(decodeImage(path)).rejects.toMatchObject({ code: 'E_DECODE', message: expect.stringMatching(/text\.png.*expected a complete PNG/) });
    });

    it('1x1 image -> E_IMAGE_TOO_SMALL', async () => {
      const path = await write('one.png', sharp({ create: { width: 1, height: 1, channels: 3, background: '#fff' } }).png());
      await expect(decodeImage(path)).rejects.toMatchObject({ code: 'E_IMAGE_TOO_SMALL', message: expect.stringContaining('1x1') });
    });

    it('a header claiming 9000x9000 pixels -> E_DECODE from the pixel limit, without allocating them', async () => {
      const chunk = (type: string, data: Buffer): Buffer => {
        const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
        const head = Buffer.alloc(4);
        head.writeUInt32BE(data.length);
        const crc = Buffer.alloc(4);
        crc.writeUInt32BE(crc32(body));
        return Buffer.concat([head, body, crc]);
      };
      const ihdr = Buffer.alloc(13);
      ihdr.writeUInt32BE(9000, 0);
      ihdr.writeUInt32BE(9000, 4);
      ihdr[8] = 8; // 8-bit grey
      const path = join(tmp.path, 'bomb.png');
      const signature = Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]);
      await writeFile(path, Buffer.concat([signature, chunk('IHDR', ihdr), chunk('IDAT', deflateSync(Buffer.alloc(9001))), chunk('IEND', Buffer.alloc(0))]));
      await expect(decodeImage(path)).rejects.toMatchObject({ code: 'E_DECODE', message: expect.stringContaining('pixel limit') });
    });

    it('missing file -> E_NOT_FOUND', async () => {
      await expect(decodeImage(join(tmp.path, 'nope.png'))).rejects.toMatchObject({ code: 'E_NOT_FOUND' });
    });

    it('mask whose size differs from its image -> E_MASK_SIZE naming both', async () => {
      const path = await write('small_mask.png', sharp(Buffer.alloc(100), { raw: { width: 10, height: 10, channels: 1 } }).png());
      await expect(decodeMask(path, { expect: { width: W, height: H, imagePath: '/data/img.png' } })).rejects.toMatchObject({
        code: 'E_MASK_SIZE',
        message: expect.stringMatching(/small_mask\.png is 10x10.*expected 12x10.*\/data\/img\.png/),
      });
    });
  });
});

describe('decodeMask and PNG encoding', () => {
  const tmp = useTempDir('madenet-mask-');

  it('binarises at 0.5 and resizes by nearest neighbour', async () => {
    // Given an 8x8 mask whose left half is 200 (defect), right half 100 (below 0.5, normal)
    const raw = Buffer.alloc(64);
    for (let y = 0; y < 8; y++) for (let x = 0; x < 8; x++) raw[y * 8 + x] = x < 4 ? 200 : 100;
    const path = join(tmp.path, 'm.png');
    await sharp(raw, { raw: { width: 8, height: 8, channels: 1 } }).png().toFile(path);
    const full = await decodeMask(path);
    expect(Array.from(full.data.subarray(0, 8))).toEqual([1, 1, 1, 1, 0, 0, 0, 0]);
    const up = await decodeMask(path, { width: 16, height: 4 });
    expect([up.width, up.height]).toEqual([16, 4]);
    expect(Array.from(up.data.subarray(0, 16))).toEqual([1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0]);
    expect(new Set(up.data)).toEqual(new Set([0, 1]));
  });

  it('round-trips an RgbImage and a Mask through PNG at 8-bit precision', async () => {
    const img = createImage(9, 8);
    for (let i = 0; i < img.data.length; i++) img.data[i] = (i % 17) / 16;
    img.data[0] = -0.5; // clamped
    img.data[1] = 1.7;
    await writePng(join(tmp.path, 'sub', 'img.png'), img);
    const back = await decodeImage(join(tmp.path, 'sub', 'img.png'));
    expect(back.data[0]).toBe(0);
    expect(back.data[1]).toBe(1);
    for (let i = 2; i < img.data.length; i++) expect(Math.abs((back.data[i] as number) - (img.data[i] as number))).toBeLessThanOrEqual(0.5 / 255 + 1e-6);

    const mask = createMask(9, 8);
    mask.data[5] = 1;
    const png = await encodePng(mask);
    expect((await sharp(png).metadata()).channels).toBe(1);
    await writeFile(join(tmp.path, 'mask.png'), png);
    const m = await decodeMask(join(tmp.path, 'mask.png'));
    expect(Array.from(m.data)).toEqual(Array.from(mask.data));
    expect((await readFile(join(tmp.path, 'mask.png'))).subarray(1, 4).toString()).toBe('PNG');
  });

  it('refuses to encode data whose length fits neither RGB nor grey', async () => {
    await expect(encodePng({ width: 4, height: 4, data: new Float32Array(5) })).rejects.toMatchObject({ code: 'E_INTERNAL' });
  });
});
