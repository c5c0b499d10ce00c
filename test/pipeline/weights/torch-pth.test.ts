// PyTorch .pth state dicts read without PyTorch and without running their pickle: round trips of every
// supported dtype, views, zip64 and deflate, and hostile files (foreign globals, code opcodes, broken zips).
import { describe, expect, it, beforeEach, afterEach } from '@jest/globals';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { MadenetError } from '../../../src/pipeline/core/errors.js';
import { openSafetensorsFile } from '../../../src/pipeline/weights/safetensors.js';
import { readTorchStateDict, DEFAULT_PTH_LIMITS, torchFileFormat } from '../../../src/pipeline/weights/torch-pth.js';
import { PickleBuilder, stateDictPickle, writePth, writeZip, type PthTensor } from './torch-pth-writer.js';
import { useTempDir } from '../../helpers/temp-dir.js';

async function expectError(p: Promise<unknown>, code: string, message: RegExp): Promise<void> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(MadenetError);
  expect([(err as MadenetError).code, (err as MadenetError).message]).toEqual([code, expect.stringMatching(message)]);
}

const f32 = (...v: number[]): Float32Array => Float32Array.from(v);

describe('readTorchStateDict', () => {
  const tmp = useTempDir('madenet-pth-', 'test');

  const save = async (buf: Uint8Array, name = 'w.pth'): Promise<string> => {
    const file = join(tmp.path, name);
    await writeFile(file, buf);
    return file;
  };

  const dict = (): Map<string, PthTensor> =>
    new Map<string, PthTensor>([
      ['conv.weight', { shape: [2, 1, 2, 2], data: f32(0.5, -1.25, 3, 0, 1e-3, 2.5, -7, 8) }],
      ['conv.bias', { shape: [2], data: f32(0.25, -0.5), dtype: 'F16' }],
      ['bn.weight', { shape: [2], data: f32(1.5, -2), dtype: 'BF16' }],
      ['bn.running_var', { shape: [2], data: f32(0.1, 0.2), dtype: 'F64' }],
      ['bn.num_batches_tracked', { shape: [], data: f32(123), dtype: 'I64' }],
    ]);

  it.each([
    ['stored, zip64 end records', {}],
    ['deflated', { deflate: true }],
    ['without zip64 records, another archive name', { zip64: false, archive: 'resnet18-f37072fd' }],
  ])('reads every dtype back as float32 in pickle order (%s)', async (_, opts) => {
    // Given a state dict written as torch.save writes it,
    const file = await save(writePth(dict(), opts));
    // When read,
    const got = await readTorchStateDict(file);
    // Then names, order, shapes, dtypes and values are those saved.
    expect([...got.keys()]).toEqual([...dict().keys()]);
    for (const [name, t] of dict()) {
      const g = got.get(name);
      expect([name, g?.shape, g?.dtype]).toEqual([name, t.shape, t.dtype ?? 'F32']);
      const want = t.dtype === 'F64' || t.dtype === 'I64' ? [...t.data] : [...t.data];
      [...(g?.data ?? [])].forEach((v, i) => expect(v).toBeCloseTo(want[i] as number, 6));
    }
    expect(got.get('conv.weight')?.data).toEqual(f32(0.5, -1.25, 3, 0, 1e-3, 2.5, -7, 8));
  });

  it('rebuilds views: an offset into a shared storage and a transposed (non-contiguous) stride', async () => {
    const tensors = new Map<string, PthTensor>([
      ['base', { shape: [2, 3], data: f32(1, 2, 3, 4, 5, 6) }],
      ['tail', { shape: [2], data: new Float32Array(0), view: { storage: '0', offset: 4, stride: [1] } }],
      ['transposed', { shape: [3, 2], data: new Float32Array(0), view: { storage: '0', offset: 0, stride: [1, 3] } }],
    ]);
    const got = await readTorchStateDict(await save(writePth(tensors)));
    expect(got.get('tail')?.data).toEqual(f32(5, 6));
    expect(got.get('transposed')?.data).toEqual(f32(1, 4, 2, 5, 3, 6));
    expect(got.get('base')?.data).toEqual(f32(1, 2, 3, 4, 5, 6));
  });

  it('unwraps a checkpoint that keeps the state dict under "state_dict" beside other values', async () => {
    const got = await readTorchStateDict(await save(writePth(dict(), { wrapIn: 'state_dict' })));
    expect([...got.keys()]).toEqual([...dict().keys()]);
  });

  describe('refuses hostile or broken files with a coded error, running nothing', () => {
    const zipOf = (pickle: Uint8Array, storages: [string, Uint8Array][] = []): Buffer =>
      writeZip([['archive/data.pkl', pickle], ...storages.map(([k, v]) => [`archive/data/${k}`, v] as [string, Uint8Array])]);

    it('a GLOBAL of os.system (posix) followed by REDUCE, naming the global', async () => {
      const pickle = new PickleBuilder().proto(2).global('posix', 'system').mark().str('touch /tmp/pwned').tuple().reduce().stop().bytes();
      await expectError(readTorchStateDict(await save(zipOf(pickle))), 'E_UNSAFE_PICKLE', /imports the global posix\.system/);
    });

    it('a STACK_GLOBAL of builtins.eval (protocol 4)', async () => {
      const pickle = new PickleBuilder().proto(4).stackGlobal('builtins', 'eval').mark().str('1+1').tuple().reduce().stop().bytes();
      await expectError(readTorchStateDict(await save(zipOf(pickle))), 'E_UNSAFE_PICKLE', /builtins\.eval/);
    });

    it('REDUCE of an allowed name that is not a callable here (a storage class)', async () => {
      const pickle = new PickleBuilder().proto(2).global('torch', 'FloatStorage').emptyTuple().reduce().stop().bytes();
      await expectError(readTorchStateDict(await save(zipOf(pickle))), 'E_UNSAFE_PICKLE', /calls torch\.FloatStorage/);
    });

    it('the object-creating opcodes NEWOBJ and INST', async () => {
      const newobj = new PickleBuilder().proto(2).global('collections', 'OrderedDict').emptyTuple().raw(0x81).stop().bytes();
      await expectError(readTorchStateDict(await save(zipOf(newobj))), 'E_UNSAFE_PICKLE', /opcode NEWOBJ/);
      const inst = new PickleBuilder().mark().raw(0x69, ...Buffer.from('os\nsystem\n')).stop().bytes();
      await expectError(readTorchStateDict(await save(zipOf(inst), 'inst.pth')), 'E_UNSAFE_PICKLE', /opcode INST/);
    });

    it('BUILD on anything but a dict', async () => {
      const { pickle, storages } = stateDictPickle(new Map([['w', { shape: [1], data: f32(1) }]]));
      // Replace the trailing "BUILD STOP" with "GET <the tensor (memo 5)>, {}, BUILD, ...": BUILD on a tensor.
      const body = pickle.slice(0, pickle.length - 2);
      const hostile = Uint8Array.from([...body, 0x68, 5, 0x7d, 0x62, 0x30, 0x62, 0x2e]);
      await expectError(readTorchStateDict(await save(zipOf(hostile, [...storages]))), 'E_UNSAFE_PICKLE', /BUILDs an object that is not a dict/);
    });

    it('a truncated zip (cut in half, and cut inside the end record)', async () => {
      const full = writePth(dict());
      await expectError(readTorchStateDict(await save(full.subarray(0, full.length >> 1), 'half.pth')), 'E_WEIGHTS', /no end-of-central-directory record/);
      await expectError(readTorchStateDict(await save(full.subarray(0, full.length - 10), 'tail.pth')), 'E_WEIGHTS', /no end-of-central-directory record/);
    });

    it('two entries overlapping in the file (a zip-bomb trick)', async () => {
      const good = writeZip([
        ['archive/data.pkl', stateDictPickle(new Map([['w', { shape: [16], data: new Float32Array(16) }]])).pickle],
        ['archive/data/0', new Uint8Array(64)],
      ]);
      // Point the second central-directory entry's local-header offset at the first entry.
      const buf = Buffer.from(good);
      const second = buf.lastIndexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02]));
      buf.writeUInt32LE(0, second + 42);
      await expectError(readTorchStateDict(await save(buf)), 'E_WEIGHTS', /entries archive\/data\.pkl and archive\/data\/0 overlap/);
    });

    it('a storage whose entry is smaller than its declared element count, and a view past its storage', async () => {
      const { pickle } = stateDictPickle(new Map([['w', { shape: [16], data: new Float32Array(16) }]]));
      await expectError(readTorchStateDict(await save(zipOf(pickle, [['0', new Uint8Array(32)]]))), 'E_WEIGHTS', /declares 16 x F32 \(64 bytes\) but its entry holds 32/);
      const past = new Map<string, PthTensor>([
        ['a', { shape: [4], data: f32(1, 2, 3, 4) }],
        ['b', { shape: [3], data: new Float32Array(0), view: { storage: '0', offset: 2, stride: [1] } }],
      ]);
      await expectError(readTorchStateDict(await save(writePth(past), 'past.pth')), 'E_WEIGHTS', /reads element 4 of storage 0, which has 4/);
    });

    it('a GET of an unset memo slot, and more entries than the limit', async () => {
      const get = new PickleBuilder().proto(2).raw(0x68, 9).stop().bytes();
      await expectError(readTorchStateDict(await save(zipOf(get), 'get.pth')), 'E_WEIGHTS', /memo entry 9, which was never PUT/);
      await expectError(readTorchStateDict(await save(writePth(dict()), 'many.pth'), { ...DEFAULT_PTH_LIMITS, maxEntries: 3 }), 'E_WEIGHTS', /8 entries; at most 3/);
    });

    it('a flipped byte inside a storage fails the CRC-32 check', async () => {
      const buf = Buffer.from(writePth(new Map([['w', { shape: [4], data: f32(1, 2, 3, 4) }]]), { zip64: false }));
      const data = buf.indexOf(Buffer.from(f32(1, 2, 3, 4).buffer));
      expect(data).toBeGreaterThan(0);
      buf[data] = (buf[data] as number) ^ 0x01;
      await expectError(readTorchStateDict(await save(buf)), 'E_WEIGHTS', /CRC-32/);
    });

    it('a pickle that is no state dict, and a zip without data.pkl', async () => {
      await expectError(readTorchStateDict(await save(zipOf(new PickleBuilder().proto(2).int(5).stop().bytes()))), 'E_WEIGHTS', /holds no dict/);
      await expectError(readTorchStateDict(await save(writeZip([['x/other', new Uint8Array(4)]]), 'empty.pth')), 'E_WEIGHTS', /0 <archive>\/data\.pkl entries/);
    });
  });
});

describe('torchFileFormat', () => {
  const tmp = useTempDir('madenet-pth-format-');

  it('takes a safetensors file whose header length starts like a pickle (0x80, 0x01) for safetensors, not a pickle', async () => {
    // Given a header of 384 = 0x180 bytes: the file starts 80 01 00 .., like PROTO 1.
    const json = JSON.stringify({ w: { dtype: 'F32', shape: [2], data_offsets: [0, 8] } }).padEnd(384, ' ');
    const length = Buffer.alloc(8);
    length.writeBigUInt64LE(384n);
    const file = join(tmp.path, 'w.safetensors');
    await writeFile(file, Buffer.concat([length, Buffer.from(json), Buffer.from(f32(1.5, -2).buffer)]));
    // Then it is not a torch file, and the safetensors reader reads it.
    expect(await torchFileFormat(file)).toBeNull();
    const st = await openSafetensorsFile(file);
    try {
      expect(Array.from(st.tensors.get('w')?.data ?? [])).toEqual([1.5, -2]);
    } finally {
      await st.close();
    }
  });

  it('tells a zip, a legacy torch file and another pickle apart by their first bytes', async () => {
    const zip = join(tmp.path, 'a.pth');
    await writeFile(zip, writePth(new Map([['w', { shape: [1], data: f32(1) }]])));
    const pickle = join(tmp.path, 'b.pkl');
    await writeFile(pickle, new PickleBuilder().proto(2).int(5).stop().bytes());
    const legacy = join(tmp.path, 'c.pth');
    // PROTO 2, then torch's magic number as LONG1 (what the legacy format's first pickle holds).
    await writeFile(legacy, Uint8Array.from([0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19, 0x2e]));
    expect([await torchFileFormat(zip), await torchFileFormat(pickle), await torchFileFormat(legacy), await torchFileFormat(join(tmp.path, 'none'))]).toEqual(['zip', 'pickle', 'legacy', null]);
  });
});
