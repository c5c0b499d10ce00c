import { examplePanel, jet } from '../../../src/pipeline/eval/report/example-panel.js';
import { histogramSvg, lineChartSvg } from '../../../src/pipeline/eval/report/charts.js';
import { meanRow, toConsoleTable, toCsv, toMarkdown, type MetricsRow } from '../../../src/pipeline/eval/report/metrics-table.js';
import { createImage } from '../../../src/pipeline/io/image.js';

function row(category: string, defectType: string, imageAuroc: number | null, aupro: number | null): MetricsRow {
  return {
    category,
    defectType,
    images: 3,
    normals: 2,
    defects: 1,
    imageAuroc,
    imageAp: null,
    pixelAuroc: null,
    pixelAp: null,
    aupro,
    f1Max: null,
    f1Threshold: null,
    tprAtFpr: null,
    tprThreshold: null,
    atThreshold: { tp: 1, fp: 0, fn: 0, tn: 2, precision: 1, recall: 1, f1: 1, fpr: 0 },
  };
}

describe('metrics tables', () => {
  const rows = [row('a,b', 'all', 0.9, 0.5), row('a,b', 'crack', 1, 0.4), row('c', 'all', 0.5, null), row('d', 'all', null, null)];

  it('averages over categories only, ignoring n/a, and counts what entered the mean', () => {
    const m = meanRow(rows);
    expect(m.values.imageAuroc).toBeCloseTo(0.7, 15);
    expect(m.counts.imageAuroc).toBe(2);
    expect(m.values.aupro).toBe(0.5);
    expect(m.values.pixelAuroc).toBeNull();
  });

  it('writes CSV with quoting and empty cells for n/a, Markdown and a console table with n/a', () => {
    const csv = toCsv(rows, meanRow(rows)).trim().split('\n');
    expect(csv[1]).toBe('"a,b",all,3,2,1,0.9,,,,0.5,,,,,1,1,1,0');
    expect(csv.at(-1)).toBe('mean,all,,,,0.7,,,,0.5,,,,,,,,');
    expect(toMarkdown(rows, meanRow(rows), 0.01)).toContain('| **a,b** | (all) | 2 | 1 | 0.900 | n/a | n/a | n/a | 0.500 | n/a | n/a |');
    const table = toConsoleTable(rows, meanRow(rows), 0.01).split('\n');
    expect(table[0]).toMatch(/TPR@0\.01$/);
    expect(table[3]).toMatch(/^\s+crack\s+2\s+1\s+1\.000\s+n\/a/);
  });
});

describe('report pictures', () => {
  it('lays out image | ground truth | heatmap at 256 px with the outline in green', () => {
    const image = createImage(8, 8, 0.5);
    const map = new Float32Array(16).map((_, i) => i / 15);
    const gt = new Uint8Array(16);
    gt[5] = 1;
    const p = examplePanel({ image, map, mapWidth: 4, mapHeight: 4, gt, lo: 0, hi: 1 });
    expect([p.width, p.height]).toEqual([256 * 3 + 8, 256]);
    // Ground-truth panel: map pixel (1,1) covers panel pixels 64..127; its centre is white, a corner black.
    const at = (x: number, y: number): number[] => Array.from(p.data.subarray((y * p.width + x) * 3, (y * p.width + x) * 3 + 3));
    expect(at(260 + 96, 96)).toEqual([1, 1, 1]);
    expect(at(260 + 10, 10)).toEqual([0, 0, 0]);
    expect(at(2 * 260 + 64, 96)).toEqual([0.1, 1, 0.1].map(Math.fround));
    expect(jet(0)[2]).toBeGreaterThan(jet(0)[0]);
    expect(jet(1)[0]).toBeGreaterThan(jet(1)[2]);
    const noMap = examplePanel({ image, map: null, mapWidth: 8, mapHeight: 8, gt: null, lo: 0, hi: 1 });
    expect(noMap.width).toBe(256 * 2 + 4);
  });

  it('draws charts as SVG with escaped text and a note when a curve is undefined', () => {
    const svg = lineChartSvg({ title: 'a<b & "c"', xLabel: 'x', yLabel: 'y', series: [], emptyNote: 'n/a: no defects' });
    expect(svg).toContain('a&lt;b &amp; &quot;c&quot;');
    expect(svg).toContain('n/a: no defects');
    const h = histogramSvg({ title: 't', xLabel: 's', groups: [{ name: 'normal', values: [1, 1, 2], color: '#0f0' }], markers: [{ x: 1.5, label: 'thr' }] });
    expect((h.match(/<rect [^>]*fill='#0f0' fill-opacity/g) ?? []).length).toBe(2);
    expect(h).toContain('normal (3)');
  });
});
