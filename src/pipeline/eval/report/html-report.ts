// Builds report.html as one self-contained file: charts as inline SVG, pictures as data: URIs, so it can be mailed
// or archived alone. A sticky contents bar links the summary and every category; each category has its metrics,
// score charts, a per-defect-type view, and its worst misses (defect images passed) and false alarms (normal images
// flagged), each heatmap with its colour scale. Markup only; write-report.ts supplies the pictures.
import { esc } from './charts.js';
import { jet } from './example-panel.js';
import type { EvaluationMetrics } from './metrics-json.js';
import { METRIC_KEYS, type MetricsRow } from './metrics-table.js';
import type { DefectTypeStats } from '../gather/compute-metrics.js';

export interface ExampleFigure {
  /** data:image/png;base64,... */
  src: string;
  caption: string;
}

export interface CategorySection {
  category: string;
  /** Unique, URL-safe id of the section. */
  slug: string;
  pixelNote: string | null;
  /** Inline <svg> charts. */
  charts: string[];
  misses: ExampleFigure[];
  falseAlarms: ExampleFigure[];
  missCount: number;
  falseAlarmCount: number;
  defectImages: number;
  normalImages: number;
  defectTypes: DefectTypeStats[];
  /** Anomaly-map values at the two ends of the heatmaps' colour scale; null without maps. */
  colourScale: { lo: number; hi: number } | null;
  /** Threshold(s) in force, on the score scale of the predictions. */
  thresholds: number[];
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

/** The jet colour scale as a CSS gradient, the same colours as the heatmap panels. */
function jetGradient(): string {
  const stops = Array.from({ length: 9 }, (_, i) => {
    const [r, g, b] = jet(i / 8).map((v) => Math.round(v * 255));
    return `rgb(${r},${g},${b}) ${(i * 12.5).toFixed(1)}%`;
  });
  return `linear-gradient(to right, ${stops.join(', ')})`;
}

const num3 = (v: number): string => (Math.abs(v) >= 1e4 || (v !== 0 && Math.abs(v) < 1e-3) ? v.toExponential(2) : v.toPrecision(4));

const num = (v: number | null): string => (v === null ? '<span class="na">n/a</span>' : v.toFixed(3));

function rowHtml(r: MetricsRow): string {
  return `<tr class="${r.defectType === 'all' ? 'cat' : 'type'}"><td>${r.defectType === 'all' ? esc(r.category) : ''}</td><td>${
    r.defectType === 'all' ? '(all)' : esc(r.defectType)
  }</td><td>${r.normals}</td><td>${r.defects}</td>${METRIC_KEYS.map((k) => `<td>${num(r[k])}</td>`).join('')}<td>${num(r.atThreshold.f1)}</td></tr>`;
}

function metricsHeader(m: EvaluationMetrics): string {
  return `<tr><th>category</th><th>defect type</th><th>normal</th><th>defect</th>${METRIC_KEYS.map(
    (k) => `<th>${k === 'tprAtFpr' ? `TPR@FPR=${m.settings.fpr}` : k === 'aupro' ? `AUPRO@${m.settings.auproLimit}` : HEAD[k]}</th>`,
  ).join('')}<th>F1 at threshold</th></tr>`;
}

function figure(f: ExampleFigure): string {
  return `<figure><img src="${f.src}" alt="${esc(f.caption)}"><figcaption>${esc(f.caption)}</figcaption></figure>`;
}

function colourScale(s: CategorySection): string {
  return s.colourScale
    ? `<div class="scale" data-role="colour-scale"><span>${esc(num3(s.colourScale.lo))}</span><span class="bar"></span><span>${esc(num3(s.colourScale.hi))}</span><span class="legend">heatmap colour = anomaly-map value (same scale for every picture of ${esc(s.category)}); green outline = ground truth</span></div>`
    : '';
}

function typeTable(s: CategorySection): string {
  return s.defectTypes.length === 0
    ? '<p class="note">No defect images.</p>'
    : `<table class="types"><tr><th>defect type</th><th>images</th><th>flagged</th><th>missed</th><th>detection rate</th><th>lowest score</th><th>median score</th><th>highest score</th></tr>${s.defectTypes
        .map(
          (t) =>
            `<tr data-defect-type="${esc(t.defectType)}"><td>${esc(t.defectType)}</td><td>${t.images}</td><td>${t.flagged}</td><td>${t.images - t.flagged}</td><td>${((100 * t.flagged) / t.images).toFixed(0)}%</td><td>${num3(t.minScore)}</td><td>${num3(t.medianScore)}</td><td>${num3(t.maxScore)}</td></tr>`,
        )
        .join('')}</table>`;
}

function examples(s: CategorySection, kind: 'misses' | 'false-alarms'): string {
  const list = kind === 'misses' ? s.misses : s.falseAlarms;
  const total = kind === 'misses' ? s.missCount : s.falseAlarmCount;
  const of = kind === 'misses' ? `${s.defectImages} defect images` : `${s.normalImages} normal images`;
  const none = kind === 'misses' ? 'No misses: every defect image was flagged.' : 'No false alarms: every normal image passed.';
  if (list.length === 0) return `<p class="ok">${total === 0 ? none : `${total} of ${of}; no pictures asked for (--examples 0).`}</p>`;
  return `<p class="legend">${total} of ${of}; the ${list.length} with the ${kind === 'misses' ? 'lowest' : 'highest'} scores. Panels: image | ground truth | heatmap over the image.</p>${colourScale(s)}<div class="figs">${list.map(figure).join('')}</div>`;
}

function sectionHtml(m: EvaluationMetrics, s: CategorySection): string {
  return `
<section id="cat-${s.slug}" data-category="${esc(s.category)}">
  <h2>${esc(s.category)}</h2>
  <p class="sub"><a href="#cat-${s.slug}-metrics">metrics</a> · <a href="#cat-${s.slug}-scores">scores</a> · <a href="#cat-${s.slug}-types">defect types</a> · <a href="#cat-${s.slug}-misses">worst misses (${s.missCount})</a> · <a href="#cat-${s.slug}-false-alarms">worst false alarms (${s.falseAlarmCount})</a></p>
  ${s.pixelNote ? `<p class="note">${esc(s.pixelNote)}</p>` : ''}
  <h3 id="cat-${s.slug}-metrics">Metrics</h3>
  <table>${metricsHeader(m)}${m.rows.filter((r) => r.category === s.category).map(rowHtml).join('')}</table>
  <h3 id="cat-${s.slug}-scores">Scores</h3>
  <p class="legend">Threshold${s.thresholds.length === 1 ? '' : 's'} in force: ${s.thresholds.map((t) => esc(num3(t))).join(', ') || 'n/a'} (on the predictions' score scale; score &ge; threshold = flagged).</p>
  <div class="charts">${s.charts.join('')}</div>
  <h3 id="cat-${s.slug}-types">Defect types</h3>
  ${typeTable(s)}
  <h3 id="cat-${s.slug}-misses">Worst misses: defect images the model passed</h3>
  <div data-role="misses">${examples(s, 'misses')}</div>
  <h3 id="cat-${s.slug}-false-alarms">Worst false alarms: normal images the model flagged</h3>
  <div data-role="false-alarms">${examples(s, 'false-alarms')}</div>
</section>`;
}

function reportStyle(): string {
  return `<style>
html{scroll-padding-top:52px}
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:0 24px 24px;color:#222;max-width:1500px}
nav.toc{position:sticky;top:0;z-index:2;background:#fff;border-bottom:1px solid #ccc;padding:8px 0;display:flex;flex-wrap:wrap;gap:4px 14px;align-items:center}
nav.toc b{margin-right:8px}nav.toc a{color:#1f4f8f;text-decoration:none}nav.toc a:hover{text-decoration:underline}
table{border-collapse:collapse;margin:8px 0 16px}td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}
td:nth-child(-n+2),th:nth-child(-n+2){text-align:left}table.types td:nth-child(2){text-align:right}tr.cat{background:#f3f6fa;font-weight:600}tr.mean{background:#fff6e0;font-weight:600}
.na{color:#999}.warn{background:#fff3f3;border:1px solid #e0a0a0;padding:8px 14px;margin:12px 0}.note{color:#a05000}.ok{color:#2a7a2a}
.charts{display:flex;flex-wrap:wrap;gap:8px}.charts svg{border:1px solid #ddd;max-width:100%;height:auto}
.figs{display:flex;flex-wrap:wrap;gap:8px 14px}figure{margin:6px 0}figure img{border:1px solid #ddd;image-rendering:pixelated;max-width:100%}
figcaption{font-size:12px;color:#444;max-width:780px;word-break:break-all}.legend{font-size:12px;color:#555}
.scale{display:flex;align-items:center;gap:6px;font-size:12px;margin:4px 0 8px}.scale .bar{display:inline-block;width:220px;height:12px;border:1px solid #888;background:${jetGradient()}}
.sub{font-size:13px;margin:0 0 8px}section{margin-top:28px;border-top:2px solid #ddd}
</style>`;
}

export function reportHtml(m: EvaluationMetrics, sections: CategorySection[]): string {
  const header = metricsHeader(m);
  const mean = `<tr class="mean"><td>mean</td><td>(categories)</td><td></td><td></td>${METRIC_KEYS.map((k) => `<td>${num(m.mean.values[k])}</td>`).join('')}<td></td></tr>`;
  const warnings =
    m.warnings.length === 0
      ? ''
      : `<div class="warn" id="warnings"><b>Warnings</b><ul>${m.warnings.map((w) => `<li>${esc(w)}</li>`).join('')}</ul></div>`;
  const c = m.counts;
  const toc = [
    '<a href="#summary">Summary</a>',
    ...(m.warnings.length ? [`<a href="#warnings">Warnings (${m.warnings.length})</a>`] : []),
    ...sections.map((s) => `<a href="#cat-${s.slug}">${esc(s.category)}</a>`),
  ].join('');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>madenet evaluation</title>
${reportStyle()}</head><body>
<nav class="toc" aria-label="contents"><b>madenet evaluation</b>${toc}</nav>
<p>Predictions: <code>${esc(m.predictions)}</code><br>Ground truth: <code>${esc(m.data)}</code><br>
${c.evaluated} predictions evaluated of ${c.predictions} read (${c.unmatched} unmatched, ${c.trainImages} training images, ${c.otherCategories} other categories, ${c.duplicates} duplicates); ${c.missing} test images without a prediction.<br>
A score &ge; threshold is a defect. AUPRO integrates to FPR ${m.settings.auproLimit}; TPR is read at FPR &le; ${m.settings.fpr}. n/a: undefined for this set (see warnings).</p>
${warnings}
<h2 id="summary">Summary</h2>
<table>${header}${m.rows.map(rowHtml).join('')}${mean}</table>
${sections.map((s) => sectionHtml(m, s)).join('\n')}
</body></html>
`;
}
