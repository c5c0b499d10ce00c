// Connected ground-truth regions with 8-connectivity (diagonal neighbours join), as AUPRO defines them.
// Labels only; says nothing about scores.

export interface Regions {
  /** Per pixel: 0 for background, else the 1-based region id. */
  labels: Int32Array;
  /** sizes[id - 1] = pixel count of region id. */
  sizes: number[];
}

/** gt: row-major width*height, nonzero = defect. */
export function labelRegions(gt: Uint8Array, width: number, height: number): Regions {
  const labels = new Int32Array(width * height);
  const sizes: number[] = [];
  const stack: number[] = [];
  for (let start = 0; start < gt.length; start++) {
    if (gt[start] === 0 || labels[start] !== 0) continue;
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
          if (gt[q] !== 0 && labels[q] === 0) {
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
