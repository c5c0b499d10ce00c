import { appendFile, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { writePng } from '../../../src/pipeline/io/decode.js';
import { createMask } from '../../../src/pipeline/io/image.js';
import { formatPrediction } from '../../../src/pipeline/predictions/prediction.js';
import { evaluate } from '../../../src/pipeline/services/evaluate.js';
import { DIGITS } from './reference.js';
import { e2e, writeE2e } from './e2e-data.js';
import { useTempDir } from '../../helpers/temp-dir.js';

const KEYS = ['imageAuroc', 'imageAp', 'pixelAuroc', 'pixelAp', 'aupro', 'f1Max', 'tprAtFpr'] as const;

function expectClose(got: number | null | undefined, want: number | null, what: string): void {
  if (want === null) {
    expect([what, got]).toEqual([what, null]);
  } else {
    expect(got).not.toBeNull();
    expect([what, Number((got as number).toFixed(DIGITS))]).toEqual([what, Number(want.toFixed(DIGITS))]);
  }
}

describe('evaluate service (dataset on disk, predictions with .npy maps)', () => {
  const tmp = useTempDir('madenet-evaluate-', 'test');

  it('matches the scikit-learn / MVTec reference per category, per defect type and on the mean', async () => {
    // Given 20x20 masks and 16x16 maps (masks resized by nearest neighbour), categories with both
    // classes, with no defects (resistor) and with no normals (inductor),
    const { data, predictions } = await writeE2e(tmp.path);
    // When evaluate runs,
    const { metrics, files } = await evaluate({ predictions, data, out: join(tmp.path, 'out') });
    // Then every row equals the independently computed reference,
    expect(metrics.rows.map((r) => `${r.category}/${r.defectType}`)).toEqual(e2e.rows.map((r) => `${r.category}/${r.defectType}`));
    for (const [i, want] of e2e.rows.entries()) {
      const got = metrics.rows[i];
      const name = `${want.category}/${want.defectType}`;
      expect([name, got?.images, got?.normals, got?.defects]).toEqual([name, want.images, want.normals, want.defects]);
      for (const k of KEYS) expectClose(got?.[k], want[k], `${name} ${k}`);
      expect(got?.atThreshold).toEqual(want.atThreshold);
    }
    for (const k of KEYS) expectClose(metrics.mean.values[k], e2e.mean[k] ?? null, `mean ${k}`);
    // and the one-class categories are explained, not silently NaN,
    expect(metrics.warnings.join('\n')).toMatch(/resistor: no defect images/);
    expect(metrics.warnings.join('\n')).toMatch(/inductor: no normal test images/);
    expect(JSON.stringify(metrics)).not.toMatch(/NaN/);
    // and the files exist: metrics as written equal the result, and the report is one self-contained file.
    expect(JSON.parse(await readFile(files.json, 'utf8'))).toEqual(JSON.parse(JSON.stringify(metrics)));
    const csv = (await readFile(files.csv, 'utf8')).trim().split('\n');
    expect(csv).toHaveLength(1 + e2e.rows.length + 1);
    expect(csv[1]).toMatch(/^capacitor,all,9,4,5,0\.825,/);
    expect(await readFile(files.md, 'utf8')).toMatch(/\| \*\*mean\*\* \| \(categories\) \|/);
    const html = await readFile(files.html, 'utf8');
    expect((await readdir(join(tmp.path, 'out'))).sort()).toEqual(['metrics.csv', 'metrics.json', 'metrics.md', 'report.html']);
    expect(html.match(/<svg /g)).toHaveLength(9);
    const srcs = [...html.matchAll(/<img src="([^"]*)"/g)].map((m) => m[1] as string);
    expect(srcs.length).toBeGreaterThan(0);
    expect(srcs.every((s) => s.startsWith('data:image/png;base64,'))).toBe(true);
    const panel = await sharp(Buffer.from((srcs[0] as string).slice('data:image/png;base64,'.length), 'base64')).metadata();
    expect(panel.width).toBe(256 * 3 + 8);
  });

  it('evaluates an image-level run (no maps) with pixel metrics n/a and one category only', async () => {
    const { data, predictions } = await writeE2e(tmp.path, { withoutMaps: true });
    const { metrics } = await evaluate({ predictions, data, categories: ['capacitor'], out: join(tmp.path, 'out') });
    expect(metrics.categories).toEqual(['capacitor']);
    expect(metrics.counts.otherCategories).toBe(e2e.images.filter((i) => i.category !== 'capacitor').length);
    const want = e2e.rows[0];
    expectClose(metrics.rows[0]?.imageAuroc, want?.imageAuroc ?? null, 'imageAuroc');
    expect(metrics.rows[0]).toMatchObject({ pixelAuroc: null, pixelAp: null, aupro: null });
    expect(metrics.warnings.join('\n')).toMatch(/no maps \(image-level run\)/);
  });

  it('reports a torn last line, unmatched paths, duplicates and missing predictions', async () => {
    const { data, predictions, lines } = await writeE2e(tmp.path);
    const first = lines[0];
    if (!first) throw new Error('fixture has no images');
    // One image routed to the wrong category, a duplicate, a path outside the dataset, a torn last line.
    const file = join(predictions, 'predictions.jsonl');
    await writeFile(file, lines.map((p, i) => formatPrediction(i === 1 ? { ...p, category: 'inductor' } : p)).join(''));
    await appendFile(file, formatPrediction({ ...first, category: 'resistor' }));
    await appendFile(file, formatPrediction({ ...first, path: join(tmp.path, 'elsewhere.png') }));
    await appendFile(file, '{"path": "cut-off');
    // And one test image without a prediction.
    await writePng(join(data, 'resistor', 'test', 'good', '999.png'), createMask(20, 20));
    const { metrics } = await evaluate({ predictions, data, out: join(tmp.path, 'out') });
    expect(metrics.counts).toMatchObject({ predictions: lines.length + 2, evaluated: lines.length, duplicates: 1, unmatched: 1, missing: 1, wrongCategory: 1 });
    const text = metrics.warnings.join('\n');
    expect(text).toMatch(/line \d+ is torn/);
    expect(text).toMatch(/elsewhere\.png/);
    expect(text).toMatch(/999\.png/);
    expect(text).toMatch(/1 images were scored as another category/);
    // The routing error changes no metric: rows are grouped by the ground truth's category.
    expect(metrics.rows[0]?.imageAuroc).toBeCloseTo(e2e.rows[0]?.imageAuroc as number, 12);
  });

  it('fails with E_MASK_SIZE when a mask is not its image size', async () => {
    const { data, predictions } = await writeE2e(tmp.path);
    const mask = join(data, 'capacitor', 'ground_truth', 'crack', '001_mask.png');
    await writePng(mask, createMask(24, 24));
    await expect(evaluate({ predictions, data, out: join(tmp.path, 'out') })).rejects.toMatchObject({ code: 'E_MASK_SIZE' });
  });

  it('computes pixel metrics over the masked defects only when one defect has no mask, image metrics over all', async () => {
    // Given capacitor/crack/001 without its mask,
    const { data, predictions, lines } = await writeE2e(tmp.path);
    const image = join(data, 'capacitor', 'test', 'crack', '001.png');
    await rm(join(data, 'capacitor', 'ground_truth', 'crack', '001_mask.png'));
    // When evaluate runs,
    const { metrics } = await evaluate({ predictions, data, out: join(tmp.path, 'out') });
    // Then image metrics are those of the full reference, the coverage is stated,
    expectClose(metrics.rows[0]?.imageAuroc, e2e.rows[0]?.imageAuroc ?? null, 'imageAuroc');
    expect(metrics.pixelCoverage.capacitor).toBe('some-masks-missing');
    expect(metrics.pixelCoverage.resistor).toBe('evaluated');
    expect(metrics.warnings.join('\n')).toMatch(/capacitor: \d+ of \d+ evaluated defect images have a mask: pixel metrics cover those \d+ only/);
    // and the pixel metrics equal those of the same run with that image (and its prediction) removed entirely.
    await rm(image);
    await writeFile(join(predictions, 'predictions.jsonl'), lines.filter((p) => p.path !== image).map((p) => formatPrediction(p)).join(''));
    const { metrics: without } = await evaluate({ predictions, data, out: join(tmp.path, 'out2') });
    for (const k of ['pixelAuroc', 'pixelAp', 'aupro'] as const) {
      expect(metrics.rows[0]?.[k]).not.toBeNull();
      expect([k, metrics.rows[0]?.[k]]).toEqual([k, without.rows[0]?.[k]]);
    }
  });

  it('evaluates an image-level category (no masks at all): image metrics as the reference, pixel metrics n/a, said so', async () => {
    const { data, predictions } = await writeE2e(tmp.path);
    await rm(join(data, 'capacitor', 'ground_truth'), { recursive: true });
    const { metrics, files } = await evaluate({ predictions, data, out: join(tmp.path, 'out') });
    for (const k of ['imageAuroc', 'imageAp', 'f1Max'] as const) expectClose(metrics.rows[0]?.[k], e2e.rows[0]?.[k] ?? null, k);
    expect(metrics.rows.filter((r) => r.category === 'capacitor').every((r) => r.pixelAuroc === null && r.pixelAp === null && r.aupro === null)).toBe(true);
    expect(metrics.pixelCoverage.capacitor).toBe('no-masks');
    expect(metrics.warnings.join('\n')).toMatch(/capacitor: image-level labels \(\d+ evaluated defect images, none with a mask\): image metrics only/);
    expect(await readFile(files.html, 'utf8')).toMatch(/Image-level ground truth/);
  });

  it('rejects maps that are not [H, W], an empty predictions file and a --model that is no artifact', async () => {
    const { data, predictions, lines } = await writeE2e(tmp.path);
    const { writeNpy } = await import('../../../src/pipeline/io/npy.js');
    await writeNpy(join(predictions, lines[0]?.map as string), new Float32Array(16 * 16), [1, 16, 16]);
    await expect(evaluate({ predictions, data, out: join(tmp.path, 'out') })).rejects.toMatchObject({ code: 'E_PREDICTIONS' });
    await expect(evaluate({ model: join(tmp.path, 'artifact'), data, out: join(tmp.path, 'eval-model') })).rejects.toMatchObject({ code: 'E_NOT_FOUND' });
    await writeFile(join(predictions, 'predictions.jsonl'), '');
    await expect(evaluate({ predictions, data, out: join(tmp.path, 'out') })).rejects.toMatchObject({ code: 'E_PREDICTIONS' });
    expect((await stat(data)).isDirectory()).toBe(true);
  });
});
