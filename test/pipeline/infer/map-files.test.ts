// Where infer's files go (mirroring the input tree, never colliding) and what the labelled overlay shows.
import { inputRoot } from '../../../src/pipeline/infer/input-source.js';
import { heatmapOverlay, jet, labelledOverlay, mirrorPath } from '../../../src/pipeline/infer/map-files.js';

describe('mirrorPath', () => {
  it('mirrors the tree under the input root, so equal names of different categories stay apart', () => {
    expect(mirrorPath('/d/BGA/test/scratch/000.png', '/d')).toBe('BGA/test/scratch/000');
    expect(mirrorPath('/d/QFN/test/scratch/000.png', '/d')).toBe('QFN/test/scratch/000');
  });

  it('keeps a non-PNG extension so x.png and x.jpg of one folder do not collide, and makes odd names safe', () => {
    expect(mirrorPath('/d/a/x.jpg', '/d')).toBe('a/x.jpg');
    expect(mirrorPath('/d/a/x.png', '/d')).toBe('a/x');
    expect(mirrorPath('/d/lot 1/ä;b.png', '/d')).toBe('lot_1/__b');
  });

  it('puts files outside the root under _outside/ with their absolute path', () => {
    expect(mirrorPath('/elsewhere/y.png', '/d')).toBe('_outside/elsewhere/y');
  });
});

describe('inputRoot', () => {
  it('is a glob\'s fixed leading folders, and the working directory for stdin lists', () => {
    expect(inputRoot('/data/*/test/*/*.png')).toBe('/data');
    expect(inputRoot('rel/dir/**/*.png', '/work')).toBe('/work/rel/dir');
    expect(inputRoot('-', '/work')).toBe('/work');
  });
});

describe('labelledOverlay', () => {
  const size = 16;
  const image = { width: size, height: size, data: new Float32Array(size * size * 3).fill(0.5) };
  const map = new Float32Array(size * size).map((_, i) => i / (size * size));
  const picture = heatmapOverlay(image, map, size, { lo: 0, hi: 1 });

  it('enlarges small maps to 256 px and adds a band with the colour scale and the verdict in its colour', () => {
    const flagged = labelledOverlay(picture, { lo: 0, hi: 1 }, { score: 3.4, threshold: 1.2, label: 1, maskThreshold: 0.5 });
    const passed = labelledOverlay(picture, { lo: 0, hi: 1 }, { score: 0.2, threshold: 1.2, label: 0, maskThreshold: null });
    expect(flagged.width).toBe(256);
    expect(flagged.height).toBeGreaterThan(256);
    const px = (img: typeof flagged, x: number, y: number): number[] => [...img.data.subarray((y * img.width + x) * 3, (y * img.width + x) * 3 + 3)];
    // the colour scale runs from jet(0) at its left end to jet(1) at its right end, just under the picture,
    // (font cells of k = 2 px at this width, margins of 2k)
    const barY = 256 + 4;
    expect(px(flagged, 4, barY)).toEqual(jet(0));
    expect(px(flagged, 251, barY)).toEqual(jet(1));
    expect(px(flagged, 3, barY)).not.toEqual(jet(0));
    // and the last text row is red for an anomaly and green for a pass.
    const lastRow = (img: typeof flagged): number[][] => {
      const rows: number[][] = [];
      for (let y = img.height - 16; y < img.height; y++) for (let x = 0; x < img.width; x++) rows.push(px(img, x, y));
      return rows.filter((p) => p.some((v) => Math.abs(v - 0.12) > 1e-6));
    };
    expect(lastRow(flagged).every((p) => (p[0] as number) > (p[1] as number))).toBe(true);
    expect(lastRow(passed).every((p) => (p[1] as number) > (p[0] as number))).toBe(true);
    expect(lastRow(flagged).length).toBeGreaterThan(50);
  });
});
