// Given protobuf fields, when encoded, then the bytes are the wire format worked out by hand from the
// protobuf encoding rules (varint, zigzag-free two's complement for negative int64, fixed32, length-delimited).
import { ProtoWriter } from '../../../src/pipeline/export/protobuf.js';
import { encodeModel, DataType } from '../../../src/pipeline/export/onnx-proto.js';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

describe('ProtoWriter', () => {
  it('writes varints: 1 byte below 128, continuation bits above, 2^53-1 in 8 bytes', () => {
    expect(hex(new ProtoWriter().int(1, 0).finish())).toBe('0800');
    expect(hex(new ProtoWriter().int(1, 150).finish())).toBe('089601'); // the protobuf docs' example
    expect(hex(new ProtoWriter().int(2, 300).finish())).toBe('10ac02');
    expect(hex(new ProtoWriter().int(1, Number.MAX_SAFE_INTEGER).finish())).toBe('08ffffffffffffff0f');
  });

  it('writes a negative int64 as its 64-bit two\'s complement (10 bytes)', () => {
    expect(hex(new ProtoWriter().int(3, -1).finish())).toBe('18ffffffffffffffffff01');
    expect(hex(new ProtoWriter().int(3, -2).finish())).toBe('18feffffffffffffffff01');
  });

  it('writes floats as little-endian fixed32 and strings/messages as length-delimited', () => {
    expect(hex(new ProtoWriter().float(2, 1).finish())).toBe('150000803f');
    expect(hex(new ProtoWriter().string(2, 'testing').finish())).toBe('120774657374696e67');
    expect(hex(new ProtoWriter().message(3, (m) => m.int(1, 150)).finish())).toBe('1a03089601');
  });

  it('grows its buffer past the initial size without losing bytes', () => {
    const big = new Uint8Array(100_000).map((_, i) => i % 251);
    const out = new ProtoWriter().int(1, 7).bytes(9, big).finish();
    expect(out.length).toBe(2 + 1 + 3 + big.length); // tag+varint, tag, length varint (3 bytes), payload
    expect(Array.from(out.subarray(out.length - 5))).toEqual(Array.from(big.subarray(big.length - 5)));
  });

  it('splices nested messages holding large payloads (kept by reference) in order', () => {
    const big = new Uint8Array(10_000).map((_, i) => (i * 7) % 256);
    const nested = new ProtoWriter().message(5, (m) => m.int(1, 3).bytes(9, big).string(8, 'w')).int(2, 1).finish();
    const inner = new ProtoWriter().int(1, 3).bytes(9, big).string(8, 'w').finish();
    expect(inner.length).toBe(2 + 1 + 2 + big.length + 3);
    expect(hex(nested.subarray(0, 3))).toBe('2a' + '984e'); // tag 5/LEN, varint(10008) = 0x98 0x4e
    expect(Buffer.from(nested.subarray(3, 3 + inner.length)).equals(Buffer.from(inner))).toBe(true);
    expect(hex(nested.subarray(3 + inner.length))).toBe('1001');
  });
});

describe('encodeModel', () => {
  it('lays out ModelProto fields with onnx.proto numbers (ir_version 1, producer 2/3, graph 7, opset_import 8)', () => {
    const bytes = encodeModel({
      irVersion: 8,
      opsetVersion: 17,
      producerName: 'm',
      producerVersion: '1',
      graph: { name: 'g', nodes: [], initializers: [{ name: 'c', dataType: DataType.FLOAT, dims: [1], raw: new Uint8Array([0, 0, 128, 63]) }], inputs: [], outputs: [] },
    });
    // 08 08 | 12 01 'm' | 1a 01 '1' | 3a 12 [12 01 'g' | 2a 0d [08 01 | 10 01 | 42 01 'c' | 4a 04 0000803f]] | 42 04 [0a 00 | 10 11]
    expect(hex(bytes)).toBe('0808' + '12016d' + '1a0131' + '3a12' + '120167' + '2a0d' + '0801' + '1001' + '420163' + '4a040000803f' + '4204' + '0a00' + '1011');
  });
});
