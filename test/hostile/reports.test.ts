// Category and defect-type names are folder names anyone chooses: metrics.md must show them as text (no raw
// HTML, no "|" splitting a cell) and metrics.csv must not hand a spreadsheet a formula (= + - @ first).
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { loadDataset } from '../../src/pipeline/io/dataset.js';
import { evaluate } from '../../src/pipeline/services/evaluate.js';
import { makeTinyDataset } from '../helpers/tiny-dataset.js';
import { useTempDir } from '../helpers/temp-dir.js';

const HOSTILE_CATEGORY = '=HYPERLINK("x.example","hi")';
const HOSTILE_TYPE = '<img src=x onerror=alert(1)>|pwn';

describe('reports (item 16)', () => {
  const tmp = useTempDir('madenet-hostile-reports-');

  it('item 16: metrics.md escapes HTML and "|" in names, metrics.csv neutralises a leading =', async () => {
    const data = join(tmp.path, 'data');
    await makeTinyDataset(data, { categories: [HOSTILE_CATEGORY, '@SUM(A1)'], defectTypes: [HOSTILE_TYPE], size: 16, normals: 1, testNormals: 2, defects: 2 });
    // Image-level predictions for every test image (defects score high): evaluate needs no model.
    const predictions = join(tmp.path, 'pred');
    await mkdir(predictions, { recursive: true });
    const lines = (await loadDataset(data)).samples
      .filter((s) => s.split === 'test')
      .map((s) => JSON.stringify({ path: s.path, category: s.category, score: s.label, label: s.label, threshold: 0.5, model: 'srad', classifier: null, map: null }));
    await writeFile(join(predictions, 'predictions.jsonl'), `${lines.join('\n')}\n`);
    const r = await evaluate({ predictions, data, out: join(tmp.path, 'report') });
    const md = await readFile(r.files.md, 'utf8');
    const csv = await readFile(r.files.csv, 'utf8');
    expect(md).not.toContain('<img');
    expect(md).toContain('&lt;img src=x onerror=alert(1)&gt;\\|pwn');
    // Every table line has the same number of cells: no name split one.
    const cells = md.trim().split('\n').map((l) => l.replace(/\\\|/g, '').split('|').length);
    expect(new Set(cells).size).toBe(1);
    expect(csv).not.toMatch(/^=|,=|^@|,@/m);
    expect(csv).toContain(`"'=HYPERLINK(""x.example"",""hi"")"`);
    expect(csv).toContain("'@SUM(A1)");
  });
});
