// A panel of demo parts: panel x panel cells of `size` px (one seeded part each, as a camera sees a tray or a
// board of many components), with a defect in one seeded cell only. A 128 px cell in a 4x4 or 8x8 panel gives a
// 512 or 1024 px image whose defect spans about 1% of the image side: the small-defect case that a whole-image
// model at 128 px cannot see (8x downscaled, the defect is a pixel or two) and tiling at native resolution can.
import { Rng, hashSeed } from '../core/random.js';
import { renderDemoBytes, type DemoSample } from './render-sample.js';
import { usageError } from './usage-error.js';
import type { DemoCategory, DemoDefectType } from './types.js';

export const DEMO_MAX_PANEL = 16;

export function checkPanel(panel: number): void {
  if (!Number.isInteger(panel) || panel < 1 || panel > DEMO_MAX_PANEL) {
    throw usageError(`Expected the demo panel to be an integer from 1 to ${DEMO_MAX_PANEL} (cells per side), but got ${panel}.`);
  }
}

/** The (size x panel)^2 picture and its mask; panel 1 is exactly renderDemoBytes. Pure in (category, seed, size, panel, defect). */
export function renderDemoPanel(category: DemoCategory, seed: number, size: number, panel: number, defect: DemoDefectType | null): Pick<DemoSample, 'rgb8' | 'mask8'> & { defectCell: number | null } {
  checkPanel(panel);
  if (panel === 1) {
    const one = renderDemoBytes(category, seed, size, defect);
    return { rgb8: one.rgb8, mask8: one.mask8, defectCell: defect === null ? null : 0 };
  }
  const side = size * panel;
  const rgb8 = new Uint8Array(side * side * 3);
  const mask8 = new Uint8Array(side * side);
  const defectCell = defect === null ? null : new Rng(hashSeed('panel:defect-cell', seed)).int(panel * panel);
  for (let cell = 0; cell < panel * panel; cell++) {
    const part = renderDemoBytes(category, hashSeed(`panel:cell:${cell}`, seed), size, cell === defectCell ? defect : null);
    const x0 = (cell % panel) * size;
    const y0 = Math.floor(cell / panel) * size;
    for (let y = 0; y < size; y++) {
      rgb8.set(part.rgb8.subarray(y * size * 3, (y + 1) * size * 3), ((y0 + y) * side + x0) * 3);
      mask8.set(part.mask8.subarray(y * size, (y + 1) * size), (y0 + y) * side + x0);
    }
  }
  return { rgb8, mask8, defectCell };
}
