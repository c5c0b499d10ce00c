// Weight re-layouts from TensorFlow.js to ONNX (a generic axis permutation on flat float32 arrays) and the
// TF 'same' padding rule. Pure array maths; no graph, no tensors.

/** out = data transposed by `perm` (out axis i = in axis perm[i]), both row-major. */
export function permute(data: Float32Array, shape: readonly number[], perm: readonly number[]): Float32Array {
  const rank = shape.length;
  if (perm.length !== rank) throw new Error(`permute: perm [${perm.join(',')}] does not fit shape [${shape.join(',')}]`);
  const inStrides = new Array<number>(rank).fill(1);
  for (let i = rank - 2; i >= 0; i--) inStrides[i] = (inStrides[i + 1] as number) * (shape[i + 1] as number);
  const outShape = perm.map((p) => shape[p] as number);
  const strideOfOut = perm.map((p) => inStrides[p] as number);
  const out = new Float32Array(data.length);
  const idx = new Array<number>(rank).fill(0);
  let src = 0;
  for (let o = 0; o < out.length; o++) {
    out[o] = data[src] as number;
    // Odometer increment over the output index, tracking the source offset.
    for (let a = rank - 1; a >= 0; a--) {
      idx[a] = (idx[a] as number) + 1;
      src += strideOfOut[a] as number;
      if ((idx[a] as number) < (outShape[a] as number)) break;
      src -= (strideOfOut[a] as number) * (outShape[a] as number);
      idx[a] = 0;
    }
  }
  return out;
}

/**
 * TF/tfjs 'same' padding of one spatial axis: the total is split with the extra cell at the end
 * (ONNX's SAME_UPPER). Returns [before, after].
 */
export function samePadding(size: number, kernel: number, stride: number, dilation = 1): [number, number] {
  const effective = (kernel - 1) * dilation + 1;
  const out = Math.ceil(size / stride);
  const total = Math.max((out - 1) * stride + effective - size, 0);
  const before = Math.floor(total / 2);
  return [before, total - before];
}
