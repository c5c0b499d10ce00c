// Builds report.html: warnings, the metrics table, and per category the ROC/PR/histogram charts and the
// worst misses and false alarms. Markup only; the PNG files it points to are written by write-report.ts.
import { esc } from './charts.js';
import type { EvaluationMetrics } from './metrics-json.js';
import { METRIC_KEYS, type MetricsRow } from './metrics-table.js';

export interface ExampleFigure {
  file: string;
  caption: string;
}

export interface CategorySection {
  category: string;
  pixelNote: string | null;
  charts: string[];
  misses: ExampleFigure[];
  falseAlarms: ExampleFigure[];
}

const HEAD: Record<(typeof METRIC_KEYS)[number], string> = {
  imageAuroc: 'image AUROC',
  imageAp: 'image AP',
  pixelAuroc: 'pixel AUROC',
  pixelAp: 'pixel AP',
  aupro: 'AUPRO',
  f1Max: 'F1-max',
  tprAtFpr: 'TPR@FPR',
};

export function reportHtml(m: EvaluationMetrics, sections: CategorySection[]): string {
  const num = (v: number | null): string => (v === null ? '<span class="na">n/a</span>' : v.toFixed(3));
  const rowHtml = (r: MetricsRow): string =>
    `<tr class="${r.defectType === 'all' ? 'cat' : 'type'}"><td>${r.defectType === 'all' ? esc(r.category) : ''}</td><td>${
      r.defectType === 'all' ? '(all)' : esc(r.defectType)
    }</td><td>${r.normals}</td><td>${r.defects}</td>${METRIC_KEYS.map((k) => `<td>${num(r[k])}</td>`).join('')}<td>${num(r.atThreshold.f1)}</td></tr>`;
  const header = `<tr><th>category</th><th>defect type</th><th>normal</th><th>defect</th>${METRIC_KEYS.map(
    (k) => `<th>${k === 'tprAtFpr' ? `TPR@FPR=${m.settings.fpr}` : k === 'aupro' ? `AUPRO@${m.settings.auproLimit}` : HEAD[k]}</th>`,
  ).join('')}<th>F1 at threshold</th></tr>`;
  const mean = `<tr class="mean"><td>mean</td><td>(categories)</td><td></td><td></td>${METRIC_KEYS.map((k) => `<td>${num(m.mean.values[k])}</td>`).join('')}<td></td></tr>`;
  const warnings =
    m.warnings.length === 0
      ? ''
      : `<div class="warn"><b>Warnings</b><ul>${m.warnings.map((w) => `<li>${esc(w)}</li>`).join('')}</ul></div>`;
  const figure = (f: ExampleFigure): string =>
    `<figure><img src="${encodeURI(f.file)}" alt="${esc(f.caption)}"><figcaption>${esc(f.caption)}</figcaption></figure>`;
  const section = (s: CategorySection): string => `
<section>
  <h2>${esc(s.category)}</h2>
  ${s.pixelNote ? `<p class="note">${esc(s.pixelNote)}</p>` : ''}
  <table>${header}${m.rows.filter((r) => r.category === s.category).map(rowHtml).join('')}</table>
  <div class="charts">${s.charts.map((c) => `<img src="${encodeURI(c)}" alt="${esc(c)}">`).join('')}</div>
  <h3>Worst misses (defect images with the lowest scores)</h3>
  ${s.misses.length ? `<p class="legend">image | ground truth | heatmap over image (green: ground-truth outline)</p>${s.misses.map(figure).join('')}` : '<p class="note">No defect images.</p>'}
  <h3>Worst false alarms (normal images with the highest scores)</h3>
  ${s.falseAlarms.length ? s.falseAlarms.map(figure).join('') : '<p class="note">No normal images.</p>'}
</section>`;
  const c = m.counts;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>madenet evaluation</title>
<style>
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:24px;color:#222;max-width:1500px}
table{border-collapse:collapse;margin:8px 0 16px}td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}
td:nth-child(-n+2),th:nth-child(-n+2){text-align:left}tr.cat{background:#f3f6fa;font-weight:600}tr.mean{background:#fff6e0;font-weight:600}
.na{color:#999}.warn{background:#fff3f3;border:1px solid #e0a0a0;padding:8px 14px;margin:12px 0}.note{color:#a05000}
.charts img{margin:4px;border:1px solid #ddd}figure{display:inline-block;margin:6px 10px 6px 0}figure img{border:1px solid #ddd;image-rendering:pixelated}
figcaption{font-size:12px;color:#444;max-width:800px;word-break:break-all}.legend{font-size:12px;color:#555}section{margin-top:28px;border-top:2px solid #ddd}
</style></head><body>
<h1>madenet evaluation</h1>
<p>Predictions: <code>${esc(m.predictions)}</code><br>Ground truth: <code>${esc(m.data)}</code><br>
${c.evaluated} predictions evaluated of ${c.predictions} read (${c.unmatched} unmatched, ${c.trainImages} training images, ${c.otherCategories} other categories, ${c.duplicates} duplicates); ${c.missing} test images without a prediction.<br>
A score &ge; threshold is a defect. AUPRO integrates to FPR ${m.settings.auproLimit}; TPR is read at FPR &le; ${m.settings.fpr}. n/a: undefined for this set (see warnings).</p>
${warnings}
<h2>Summary</h2>
<table>${header}${m.rows.map(rowHtml).join('')}${mean}</table>
${sections.map(section).join('\n')}
</body></html>
`;
}
