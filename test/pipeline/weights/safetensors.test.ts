import { describe, expect, it } from '@jest/globals';
import { readSafetensors, writeSafetensors } from '../../../src/pipeline/weights/safetensors.js';
import { MadenetError } from '../../../src/pipeline/core/errors.js';

/** A file assembled byte by byte, independent of writeSafetensors. */
function handMade(header: object, data: Uint8Array): Uint8Array {
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

function weightsError(fn: () => unknown): MadenetError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(MadenetError);
    expect((err as MadenetError).code).toBe('E_WEIGHTS');
    return err as MadenetError;
  }
  throw new Error('expected an E_WEIGHTS error');
}

describe('readSafetensors', () => {
  it('decodes F32, F16, BF16, F64 and I64 tensors from hand-made bytes', () => {
    // Given: five tensors with known bit patterns
    const bytes = new Uint8Array(4 * 2 + 2 * 2 + 2 * 1 + 8 + 8);
    const v = new DataView(bytes.buffer);
    v.setFloat32(0, 1.5, true);
    v.setFloat32(4, -2.25, true);
    v.setUint16(8, 0x3c00, true); // f16 1.0
    v.setUint16(10, 0xc000, true); // f16 -2.0
    v.setUint16(12, 0x4049, true); // bf16 3.140625
    v.setFloat64(14, 0.1, true);
    v.setBigInt64(22, 123n, true);
    const file = handMade(
      {
        __metadata__: { format: 'pt' },
        a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] },
        h: { dtype: 'F16', shape: [2, 1], data_offsets: [8, 12] },
        b: { dtype: 'BF16', shape: [], data_offsets: [12, 14] },
        d: { dtype: 'F64', shape: [1], data_offsets: [14, 22] },
        n: { dtype: 'I64', shape: [], data_offsets: [22, 30] },
      },
      bytes,
    );
    // When
    const t = readSafetensors(file);
    // Then
    expect([...t.keys()].sort()).toEqual(['a', 'b', 'd', 'h', 'n']);
    expect(Array.from(t.get('a')!.data)).toEqual([1.5, -2.25]);
    expect(t.get('h')!.shape).toEqual([2, 1]);
    expect(Array.from(t.get('h')!.data)).toEqual([1, -2]);
    expect(t.get('b')!.data[0]).toBeCloseTo(3.140625, 6);
    expect(t.get('d')!.data[0]).toBeCloseTo(0.1, 7);
    expect(t.get('n')!.data[0]).toBe(123);
    expect(t.get('n')!.dtype).toBe('I64');
  });

  it('round-trips what writeSafetensors writes, with 8-byte aligned data', () => {
    const input = new Map([
      ['z.weight', { shape: [2, 3], data: Float32Array.from([1, 2, 3, 4, 5, 6]) }],
      ['a.bias', { shape: [1], data: Float32Array.from([-7.5]) }],
    ]);
    const buf = writeSafetensors(input, { note: 'test' });
    const headerLen = Number(buf.readBigUInt64LE(0));
    expect((8 + headerLen) % 8).toBe(0);
    const header = JSON.parse(buf.subarray(8, 8 + headerLen).toString('utf8'));
    expect(header.__metadata__).toEqual({ note: 'test' });
    expect(header['a.bias'].data_offsets).toEqual([0, 4]); // names sorted
    const back = readSafetensors(buf);
    expect(back.get('z.weight')!.shape).toEqual([2, 3]);
    expect(Array.from(back.get('z.weight')!.data)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(Array.from(back.get('a.bias')!.data)).toEqual([-7.5]);
  });

  it('rejects truncated, malformed and inconsistent files with E_WEIGHTS naming the problem', () => {
    expect(weightsError(() => readSafetensors(new Uint8Array(3), 'x.safetensors')).message).toMatch(/x\.safetensors.*3 bytes/);
    const huge = new Uint8Array(16);
    new DataView(huge.buffer).setBigUint64(0, 1000n, true);
    expect(weightsError(() => readSafetensors(huge)).message).toMatch(/header length 1000/);
    const notJson = handMade({}, new Uint8Array(0));
    notJson[8] = 0x7b + 1; // corrupt the opening brace
    expect(weightsError(() => readSafetensors(notJson)).message).toMatch(/not UTF-8 JSON/);
    const badOffsets = handMade({ w: { dtype: 'F32', shape: [2], data_offsets: [0, 4] } }, new Uint8Array(8));
    expect(weightsError(() => readSafetensors(badOffsets)).message).toMatch(/tensor w has data_offsets \[0,4\]/);
    const outside = handMade({ w: { dtype: 'F32', shape: [2], data_offsets: [4, 12] } }, new Uint8Array(8));
    expect(weightsError(() => readSafetensors(outside)).message).toMatch(/tensor w/);
    const dtype = handMade({ w: { dtype: 'C64', shape: [1], data_offsets: [0, 8] } }, new Uint8Array(8));
    expect(weightsError(() => readSafetensors(dtype)).message).toMatch(/unsupported dtype C64/);
  });

  it('refuses to write a tensor whose data does not match its shape', () => {
    expect(weightsError(() => writeSafetensors({ w: { shape: [2, 2], data: new Float32Array(3) } })).message).toMatch(/w has 3 values; expected 4/);
  });
});
