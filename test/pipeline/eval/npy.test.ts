import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeNpy, encodeNpy, readNpy, writeNpy } from '../../../src/pipeline/io/npy.js';
import { FIXTURES, loadReference } from './reference.js';

const ref = loadReference<{ f4_3x4: number[] }>('npy-reference.json');
const fixture = (name: string): Promise<Buffer> => readFile(join(FIXTURES, name));

describe('npy (files written by numpy 1.24 np.save)', () => {
  it('reads float32 [3, 4] and writes byte-identical files for the same array', async () => {
    const bytes = await fixture('np-f4-3x4.npy');
    const { data, shape } = decodeNpy(bytes);
    expect(shape).toEqual([3, 4]);
    expect(Array.from(data)).toEqual(ref.f4_3x4);
    expect(encodeNpy(data, [3, 4]).equals(bytes)).toBe(true);
    // Unaligned input (a Buffer slice at an odd offset) is copied rather than viewed.
    const odd = Buffer.concat([Buffer.from([0]), bytes]).subarray(1);
    expect(Array.from(decodeNpy(odd).data)).toEqual(ref.f4_3x4);
    const oneD = await fixture('np-f4-5.npy');
    expect(encodeNpy(Float32Array.from([1, 2, 3, 4, 5]), [5]).equals(oneD)).toBe(true);
  });

  it('converts float64 and uint8 arrays to float32', async () => {
    const f8 = decodeNpy(await fixture('np-f8-2x3.npy'));
    expect(f8.shape).toEqual([2, 3]);
    expect(Array.from(f8.data)).toEqual([0.5, -1.25, 3, Math.fround(1e-3), 2, -0]);
    const u1 = decodeNpy(await fixture('np-u1-2x2.npy'));
    expect(u1.shape).toEqual([2, 2]);
    expect(Array.from(u1.data)).toEqual([0, 255, 7, 128]);
  });

  it('refuses Fortran order, truncated data, a wrong magic and unsupported dtypes with E_DECODE', async () => {
    expect(() => decodeNpy(Buffer.from([]))).toThrow(expect.objectContaining({ code: 'E_DECODE' }));
    const fortran = await fixture('np-f4-fortran.npy');
    expect(() => decodeNpy(fortran, 'f.npy')).toThrow(/Fortran order/);
    const f4 = await fixture('np-f4-3x4.npy');
    expect(() => decodeNpy(f4.subarray(0, f4.length - 4), 'cut.npy')).toThrow(/cut\.npy: the data is truncated/);
    expect(() => decodeNpy(Buffer.concat([Buffer.from('NOTNPY'), f4.subarray(6)]))).toThrow(/magic/);
    const i4 = Buffer.from(f4);
    i4.write("'<i4'", f4.indexOf("'<f4'"), 'latin1');
    expect(() => decodeNpy(i4)).toThrow(/unsupported dtype '<i4'/);
  });

  it('round-trips through writeNpy/readNpy and reports a missing file as E_NOT_FOUND', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'madenet-npy-'));
    try {
      const data = Float32Array.from({ length: 6 * 7 }, (_, i) => Math.sin(i) * 1e3);
      await writeNpy(join(dir, 'a', 'b.npy'), data, [6, 7]);
      const back = await readNpy(join(dir, 'a', 'b.npy'));
      expect(back.shape).toEqual([6, 7]);
      expect(back.data).toEqual(data);
      // The data starts on a 64-byte boundary, as numpy writes it.
      expect(((await readFile(join(dir, 'a', 'b.npy'))).length - data.byteLength) % 64).toBe(0);
      await expect(readNpy(join(dir, 'none.npy'))).rejects.toMatchObject({ code: 'E_NOT_FOUND' });
      await writeFile(join(dir, 'bad.npy'), 'hello');
      await expect(readNpy(join(dir, 'bad.npy'))).rejects.toMatchObject({ code: 'E_DECODE' });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
    expect(() => encodeNpy(new Float32Array(5), [2, 3])).toThrow(expect.objectContaining({ code: 'E_USAGE' }));
  });
});
