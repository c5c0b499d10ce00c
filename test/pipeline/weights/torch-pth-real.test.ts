// The .pth reader against files written by real PyTorch (test/fixtures/pytorch, made by its generate.py with
// torch.save; expected.json was written by the same run): every dtype, views, a scalar, both torch.save formats,
// pickle protocols 2 and 4, a wrapped checkpoint, and hostile files whose pickle would run os.system.
import { describe, expect, it } from '@jest/globals';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MadenetError } from '../../../src/pipeline/core/errors.js';
import { DEFAULT_PTH_LIMITS, readTorchStateDict, torchFileFormat } from '../../../src/pipeline/weights/torch-pth.js';
import { useTempDir } from '../../helpers/temp-dir.js';

const FIXTURES = fileURLToPath(new URL('../../fixtures/pytorch/', import.meta.url));

interface Expected {
  torch: string;
  files: Record<string, { format: 'zip' | 'legacy'; protocol: number; wrapped: string | null }>;
  hostile: Record<string, string>;
  tensors: Record<string, { dtype: string; shape: number[]; values: number[] }>;
}

const expected = JSON.parse(await readFile(join(FIXTURES, 'expected.json'), 'utf8')) as Expected;

async function errorOf(p: Promise<unknown>): Promise<MadenetError> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(MadenetError);
  return err as MadenetError;
}

describe(`readTorchStateDict on files from torch.save (torch ${expected.torch})`, () => {
  const tmp = useTempDir('madenet-pth-real-');

  it('has fixtures of both formats and every dtype a state dict holds', () => {
    // A guard on the fixtures themselves, so a regenerated set cannot silently drop a case.
    expect(new Set(Object.values(expected.files).map((f) => f.format))).toEqual(new Set(['zip', 'legacy']));
    expect(new Set(Object.values(expected.tensors).map((t) => t.dtype))).toEqual(new Set(['F32', 'F16', 'BF16', 'F64', 'I64', 'I32', 'I16', 'I8', 'U8', 'BOOL']));
    expect(Object.keys(expected.tensors)).toEqual(expect.arrayContaining(['layer1.0.conv1.weight', 'layer1.0.bn1.running_mean', 'layer1.0.bn1.num_batches_tracked', 'fc.weight_t', 'scale']));
  });

  it.each(Object.entries(expected.files))('reads %s: names in order, dtypes, shapes and every value', async (name, meta) => {
    const file = join(FIXTURES, name);
    expect(await torchFileFormat(file)).toBe(meta.format);
    const got = await readTorchStateDict(file);
    expect([...got.keys()]).toEqual(Object.keys(expected.tensors));
    for (const [key, want] of Object.entries(expected.tensors)) {
      const t = got.get(key);
      expect([key, t?.dtype, t?.shape]).toEqual([key, want.dtype, want.shape]);
      // Values are widened to float32: exact against float32 rounding of what torch held (float64 / int32 included).
      expect([key, Array.from(t?.data ?? [])]).toEqual([key, want.values.map((v) => Math.fround(v))]);
    }
  });

  it('rebuilds the views torch.save keeps as views: transposed, offset, strided and a stride-0 expand', async () => {
    const got = await readTorchStateDict(join(FIXTURES, 'small-zip.pth'));
    const base = Array.from({ length: 24 }, (_, i) => i / 8);
    expect(Array.from(got.get('fc.weight_t')?.data ?? [])).toEqual(Array.from({ length: 24 }, (_, k) => base[(k % 4) * 6 + Math.floor(k / 4)]));
    expect(Array.from(got.get('fc.row2')?.data ?? [])).toEqual(base.slice(12, 18));
    expect(Array.from(got.get('fc.cols')?.data ?? [])).toEqual([6, 8, 10, 12, 14, 16, 18, 20, 22].map((i) => base[i]));
    expect(Array.from(got.get('fc.expanded')?.data ?? [])).toEqual([1.5, 1.5, 1.5, -2, -2, -2]);
    expect([got.get('scale')?.shape, Array.from(got.get('scale')?.data ?? [])]).toEqual([[], [0.125]]);
  });

  it.each(Object.entries(expected.hostile))('refuses %s, whose pickle imports %s, by name and without running it', async (name, global) => {
    const file = join(FIXTURES, name);
    const err = await errorOf(readTorchStateDict(file));
    if ((await torchFileFormat(file)) === 'pickle') {
      // A plain pickle has no torch header: it is refused before any opcode is read.
      expect([err.code, err.message]).toEqual(['E_WEIGHTS', expect.stringMatching(/plain pickle without torch\.save's magic number/)]);
    } else {
      expect([err.code, err.message]).toEqual(['E_UNSAFE_PICKLE', expect.stringContaining(`imports the global ${global}`)]);
    }
  });

  describe('the legacy format', () => {
    const legacy = (): Promise<Buffer> => readFile(join(FIXTURES, 'small-legacy.pth'));

    it('reads its head in growing pieces when the pickles outgrow the first read', async () => {
      const got = await readTorchStateDict(join(FIXTURES, 'checkpoint-legacy.pth'), { ...DEFAULT_PTH_LIMITS, legacyFirstRead: 16 });
      expect(Array.from(got.get('fc.row2')?.data ?? [])).toEqual([12, 13, 14, 15, 16, 17].map((i) => i / 8));
      const err = await errorOf(readTorchStateDict(join(FIXTURES, 'checkpoint-legacy.pth'), { ...DEFAULT_PTH_LIMITS, legacyFirstRead: 16, maxPickleBytes: 256 }));
      expect([err.code, err.message]).toEqual(['E_WEIGHTS', expect.stringMatching(/pickles run past the first 256 bytes/)]);
    });

    it('refuses a file cut short, trailing bytes, and a storage whose element count disagrees with the pickle', async () => {
      const buf = await legacy();
      const cases: [string, Buffer, RegExp][] = [
        ['cut.pth', buf.subarray(0, buf.length - 5), /runs past the end \(\d+ bytes\)/],
        ['cut-in-pickle.pth', buf.subarray(0, 300), /runs past the end \(300 bytes\)/],
        ['trailing.pth', Buffer.concat([buf, Buffer.from([0, 0, 0])]), /3 bytes follow the last storage/],
      ];
      // The first storage's int64 element count sits right after the key list's pickle: PROTO 2, EMPTY_LIST (the
      // only pickle that starts so), then digit strings up to APPENDS STOP ("e.").
      const counted = Buffer.from(buf);
      const keysEnd = counted.indexOf(Buffer.from('e.'), counted.indexOf(Buffer.from([0x80, 0x02, 0x5d]))) + 2;
      counted.writeBigInt64LE(counted.readBigInt64LE(keysEnd) + 1n, keysEnd);
      cases.push(['count.pth', counted, /declares \d+ elements in the pickle but \d+ in the file/]);
      for (const [name, bytes, message] of cases) {
        const file = join(tmp.path, name);
        await writeFile(file, bytes);
        const err = await errorOf(readTorchStateDict(file));
        expect([name, err.code, err.message]).toEqual([name, 'E_WEIGHTS', expect.stringMatching(message)]);
      }
    });
  });
});
