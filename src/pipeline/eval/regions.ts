// Connected ground-truth regions with 8-connectivity (diagonal neighbours join), as AUPRO defines them.
// Labels only; says nothing about scores.
import { labelComponents8 } from '../io/connected-components.js';

export interface Regions {
  /** Per pixel: 0 for background, else the 1-based region id. */
  labels: Int32Array;
  /** sizes[id - 1] = pixel count of region id. */
  sizes: number[];
}

/** gt: row-major width*height, nonzero = defect. */
export function labelRegions(gt: Uint8Array, width: number, height: number): Regions {
  return labelComponents8(gt, width, height, 0);
}
