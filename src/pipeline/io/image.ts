// In-memory image types shared by I/O, synthesis, training and evaluation. Plain typed arrays, no tensors:
// RGB images are HWC float32 in [0,1]; masks are HW float32 with 0 = normal, 1 = defect.

export interface RgbImage {
  readonly width: number;
  readonly height: number;
  /** length width*height*3, row-major HWC, values in [0,1]. */
  readonly data: Float32Array;
}

export interface Mask {
  readonly width: number;
  readonly height: number;
  /** length width*height, row-major, values in [0,1] (binary for ground truth). */
  readonly data: Float32Array;
}

export function createImage(width: number, height: number, fill = 0): RgbImage {
  const data = new Float32Array(width * height * 3);
  if (fill !== 0) data.fill(fill);
  return { width, height, data };
}

export function createMask(width: number, height: number): Mask {
  return { width, height, data: new Float32Array(width * height) };
}

export function maskArea(mask: Mask): number {
  let s = 0;
  for (let i = 0; i < mask.data.length; i++) s += (mask.data[i] as number) > 0.5 ? 1 : 0;
  return s;
}
