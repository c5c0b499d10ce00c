// Maps float32 scores to uint32 keys whose unsigned order is the numeric order (-0 and +0 share a key),
// so that exact counting can work on integers. Does no counting itself; NaN has no key and is rejected.

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);
const f64 = new Float64Array(1);
const u64 = new BigUint64Array(f64.buffer);

/** Key of one float32 bit pattern: positives get the top bit set, negatives are bit-inverted. */
export function keyOfBits(bits: number): number {
  if (bits === 0x80000000) return 0x80000000; // -0 ties with +0
  return (bits & 0x80000000) !== 0 ? ~bits >>> 0 : (bits | 0x80000000) >>> 0;
}

export function floatKey(value: number): number {
  f32[0] = value;
  return keyOfBits(u32[0] as number);
}

/** The float32 value whose key this is (inverse of floatKey). */
export function keyToFloat(key: number): number {
  u32[0] = (key & 0x80000000) !== 0 ? (key & 0x7fffffff) >>> 0 : ~key >>> 0;
  return f32[0] as number;
}

/** True when a key stands for NaN (any NaN payload): such scores cannot be ranked. */
export function isNanKey(key: number): boolean {
  return (key > 0xff800000 && key <= 0xffffffff) || key < 0x007fffff;
}

/** The smallest float64 strictly greater than x (x finite): a cut that excludes x itself. */
export function nextUp(x: number): number {
  if (Number.isNaN(x) || x === Infinity) return x;
  if (x === 0) return Number.MIN_VALUE;
  f64[0] = x;
  u64[0] = x > 0 ? (u64[0] as bigint) + 1n : (u64[0] as bigint) - 1n;
  return f64[0] as number;
}
