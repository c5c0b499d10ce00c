// A minimal protocol-buffers wire-format writer: varints, fixed32, length-delimited fields and nested
// messages, enough to encode ONNX models. It only writes; it knows nothing of ONNX field meanings.

const WIRE_VARINT = 0;
const WIRE_LEN = 2;
const WIRE_FIXED32 = 5;
/** Payloads at least this long are kept by reference until finish(), so weights are copied once. */
const BY_REFERENCE = 4096;

/**
 * Appends fields to a list of byte chunks; a nested message is encoded by its own writer and spliced in
 * (its length is known once it is complete), and finish() joins everything in one copy.
 */
export class ProtoWriter {
  private readonly chunks: Uint8Array[] = [];
  private buf = new Uint8Array(256);
  private pos = 0;
  private flushed = 0;

  /** Bytes written so far. */
  get length(): number {
    return this.flushed + this.pos;
  }

  private reserve(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    this.flush();
    if (n > this.buf.length) this.buf = new Uint8Array(Math.max(n, this.buf.length * 2));
  }

  private flush(): void {
    if (this.pos === 0) return;
    this.chunks.push(this.buf.slice(0, this.pos));
    this.flushed += this.pos;
    this.pos = 0;
  }

  private byte(b: number): void {
    this.reserve(1);
    this.buf[this.pos++] = b;
  }

  /** An unsigned varint of a non-negative safe integer (or a bigint below 2^64). */
  private varint(value: number | bigint): void {
    if (typeof value === 'number') {
      if (!Number.isSafeInteger(value)) throw new Error(`protobuf varint: ${value} is not a safe integer`);
      if (value < 0) {
        this.varint(BigInt.asUintN(64, BigInt(value)));
        return;
      }
      let v = value;
      while (v >= 0x80) {
        this.byte((v % 0x80) | 0x80);
        v = Math.floor(v / 0x80);
      }
      this.byte(v);
      return;
    }
    let v = value;
    while (v >= 0x80n) {
      this.byte(Number(v & 0x7fn) | 0x80);
      v >>= 7n;
    }
    this.byte(Number(v));
  }

  private tag(field: number, wire: number): void {
    this.varint(field * 8 + wire);
  }

  /** Appends raw bytes: copied when small, kept by reference when large (do not change them before finish). */
  private append(data: Uint8Array): void {
    if (data.length < BY_REFERENCE) {
      this.reserve(data.length);
      this.buf.set(data, this.pos);
      this.pos += data.length;
      return;
    }
    this.flush();
    this.chunks.push(data);
    this.flushed += data.length;
  }

  /** int32 / int64 / enum / bool: negative values are written as 64-bit two's complement (10 bytes). */
  int(field: number, value: number): this {
    this.tag(field, WIRE_VARINT);
    this.varint(value);
    return this;
  }

  float(field: number, value: number): this {
    this.tag(field, WIRE_FIXED32);
    this.reserve(4);
    new DataView(this.buf.buffer, this.buf.byteOffset + this.pos, 4).setFloat32(0, value, true);
    this.pos += 4;
    return this;
  }

  bytes(field: number, data: Uint8Array): this {
    this.tag(field, WIRE_LEN);
    this.varint(data.length);
    this.append(data);
    return this;
  }

  string(field: number, value: string): this {
    return this.bytes(field, new TextEncoder().encode(value));
  }

  message(field: number, encode: (w: ProtoWriter) => void): this {
    const inner = new ProtoWriter();
    encode(inner);
    inner.flush();
    this.tag(field, WIRE_LEN);
    this.varint(inner.length);
    for (const c of inner.chunks) this.append(c);
    return this;
  }

  finish(): Uint8Array {
    this.flush();
    const out = new Uint8Array(this.flushed);
    let o = 0;
    for (const c of this.chunks) {
      out.set(c, o);
      o += c.length;
    }
    return out;
  }
}
