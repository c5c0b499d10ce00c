// 8-connected components (diagonal neighbours join) of a binary plane: the regions AUPRO scores
// (eval/regions.ts) and the components foreground cleaning keeps (synth/morphology.ts). Labels only.

/**
 * Labels the pixels of a row-major width*height plane whose value is above `threshold`: 0 for off, else the
 * 1-based component id in scan order. sizes[id - 1] is the pixel count of component id.
 */
export function labelComponents8(plane: ArrayLike<number>, width: number, height: number, threshold: number): { labels: Int32Array; sizes: number[] } {
  const labels = new Int32Array(width * height);
  const sizes: number[] = [];
  const stack: number[] = [];
  for (let start = 0; start < width * height; start++) {
    if (!((plane[start] as number) > threshold) || labels[start] !== 0) continue;
    const id = sizes.length + 1;
    let size = 0;
    labels[start] = id;
    stack.push(start);
    while (stack.length > 0) {
      const p = stack.pop() as number;
      size++;
      const y = (p / width) | 0;
      const x = p - y * width;
      for (let dy = -1; dy <= 1; dy++) {
        const ny = y + dy;
        if (ny < 0 || ny >= height) continue;
        for (let dx = -1; dx <= 1; dx++) {
          const nx = x + dx;
          if (nx < 0 || nx >= width) continue;
          const q = ny * width + nx;
          if ((plane[q] as number) > threshold && labels[q] === 0) {
            labels[q] = id;
            stack.push(q);
          }
        }
      }
    }
    sizes.push(size);
  }
  return { labels, sizes };
}
