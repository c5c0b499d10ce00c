// Demo panels (make-demo --panel): N x N parts in one image, the defect in exactly one of them, each cell the
// plain demo render of its own seed; and --defect-types restricting the defects to some types.
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateDemoDataset, renderDemoPanel, renderDemoSample } from '../../../src/pipeline/demo-data/index.js';
import { hashSeed } from '../../../src/pipeline/core/random.js';
import { imageSizeOf } from '../../../src/pipeline/io/decode.js';

describe('demo panels', () => {
  it('tiles N x N seeded parts into one image, with the defect mask in one cell only', () => {
    const size = 32;
    const good = renderDemoPanel('DPAK', 5, size, 3, null);
    const bad = renderDemoPanel('DPAK', 5, size, 3, 'foreign_material');
    expect(good.rgb8.length).toBe(96 * 96 * 3);
    expect(good.mask8.every((v) => v === 0)).toBe(true);
    // Cell (row 1, column 2) is the demo render of its own seed.
    const cell = renderDemoSample('DPAK', hashSeed('panel:cell:5', 5), size, null);
    for (let y = 0; y < size; y++) {
      for (let x = 0; x < size * 3; x++) expect(good.rgb8[((size + y) * 96 + 2 * size) * 3 + x]).toBe(cell.rgb8[y * size * 3 + x]);
    }
    const cells = new Set<number>();
    bad.mask8.forEach((v, i) => {
      if (v > 0) cells.add(Math.floor(Math.floor(i / 96) / size) * 3 + Math.floor((i % 96) / size));
    });
    expect([...cells]).toEqual([bad.defectCell]);
    // Outside the defect's cell the defective panel is its good twin.
    for (let i = 0; i < 96 * 96; i++) {
      const c = Math.floor(Math.floor(i / 96) / size) * 3 + Math.floor((i % 96) / size);
      if (c !== bad.defectCell) expect(bad.rgb8[i * 3]).toBe(good.rgb8[i * 3]);
    }
    // Panel 1 is the plain render.
    expect(renderDemoPanel('DPAK', 5, size, 1, null).rgb8).toEqual(renderDemoSample('DPAK', 5, size, null).rgb8);
  });

  it('writes panels of size x panel px and only the asked defect types', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'madenet-panel-'));
    try {
      const r = await generateDemoDataset({ out: dir, categories: ['DPAK'], size: 32, panel: 2, perCategory: 1, testPerCategory: 1, defectsPerCategory: 0, testDefectsPerCategory: 4, defectTypes: ['scratch', 'solder_ball'] });
      expect(r.panel).toBe(2);
      expect(r.defectTypes).toEqual(['solder_ball', 'scratch']);
      expect((await readdir(join(dir, 'DPAK', 'test'))).sort()).toEqual(['good', 'scratch', 'solder_ball']);
      expect(await imageSizeOf(join(dir, 'DPAK', 'test', 'scratch', 'test_000.png'))).toEqual({ width: 64, height: 64 });
      expect(await imageSizeOf(join(dir, 'DPAK', 'ground_truth', 'scratch', 'test_000_mask.png'))).toEqual({ width: 64, height: 64 });
      await expect(generateDemoDataset({ out: dir, categories: ['DPAK'], size: 32, defectTypes: ['solder_bridge'] })).rejects.toMatchObject({ code: 'E_USAGE' });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
