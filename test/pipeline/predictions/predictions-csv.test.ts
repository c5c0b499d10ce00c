// predictions.csv: the documented columns, one row per JSONL line, and cells a spreadsheet cannot run as formulas.
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CSV_COLUMNS, csvCell, writePredictionsCsv } from '../../../src/pipeline/predictions/predictions-csv.js';
import { useTempDir } from '../../helpers/temp-dir.js';

describe('predictions.csv', () => {
  const tmp = useTempDir('madenet-csv-', 'test');

  it('defuses formula-like text, quotes separators, and leaves numbers (negative z-scores too) as numbers', () => {
    expect(csvCell('=HYPERLINK("x")')).toBe('"\'=HYPERLINK(""x"")"');
    expect(csvCell('+1')).toBe("'+1");
    expect(csvCell('-2')).toBe("'-2");
    expect(csvCell('@cmd')).toBe("'@cmd");
    expect(csvCell('\tx')).toBe("'\tx");
    expect(csvCell('a,b')).toBe('"a,b"');
    expect(csvCell('line\nbreak')).toBe('"line\nbreak"');
    expect(csvCell(-1.25)).toBe('-1.25');
    expect(csvCell(null)).toBe('');
  });

  it('writes one row per prediction with the documented columns and counts the anomalies', async () => {
    const lines = [
      { path: '=evil.png', category: 'BGA', score: -0.5, label: 0, threshold: 1.5, model: 'lpd', classifier: { category: 'BGA', confidence: 0.97 }, map: 'maps/a.npy', mask: 'masks/a_mask.png', overlay: null, route: { reason: 'confident' }, artifact: { kind: 'lpd', category: 'BGA', version: 2, dir: '/x' } },
      { path: 'b,c.png', category: 'QFN', score: 4, label: 1, threshold: 1.5, model: 'srad', classifier: null, map: null },
    ];
    await writeFile(join(tmp.path, 'predictions.jsonl'), lines.map((l) => `${JSON.stringify(l)}\n`).join(''));
    const r = await writePredictionsCsv(tmp.path);
    expect(r).toMatchObject({ predictions: 2, anomalies: 1 });
    const rows = (await readFile(join(tmp.path, 'predictions.csv'), 'utf8')).split('\r\n');
    expect(rows[0]).toBe(CSV_COLUMNS.join(','));
    expect(rows[1]).toBe("'=evil.png,BGA,-0.5,0,normal,1.5,lpd,BGA,0.97,confident,lpd/BGA/v0002,maps/a.npy,masks/a_mask.png,");
    expect(rows[2]).toBe('"b,c.png",QFN,4,1,anomalous,1.5,srad,,,,,,,');
    expect(rows[3]).toBe('');
  });
});
