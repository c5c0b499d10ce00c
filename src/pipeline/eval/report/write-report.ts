// Writes an evaluation's files: metrics.json, metrics.csv, metrics.md and report.html, which holds its charts and
// example pictures inline (one self-contained file). Reads the images and maps it shows; computes no metric.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { decodeImage, encodePng } from '../../io/decode.js';
import { aurocOf, averagePrecisionOf, prPoints, rocPoints } from '../curve-metrics.js';
import type { CategoryEval, ComputeResult } from '../gather/compute-metrics.js';
import { hasMaps, maskOf } from '../gather/compute-metrics.js';
import { readAnomalyMap, readGroundTruth } from '../gather/ground-truth.js';
import type { EvalItem } from '../gather/match-predictions.js';
import { histogramSvg, lineChartSvg, type Series } from './charts.js';
import { examplePanel } from './example-panel.js';
import { reportHtml, type CategorySection, type ExampleFigure } from './html-report.js';
import type { EvaluationMetrics } from './metrics-json.js';
import { toCsv, toMarkdown } from './metrics-table.js';
import { writingTo } from '../../core/system-errors.js';

export interface ReportFiles {
  json: string;
  csv: string;
  md: string;
  /** One self-contained file: charts inline, pictures as data: URIs. */
  html: string;
}

const IMAGE_COLOR = '#1f77b4';
const PIXEL_COLOR = '#ff7f0e';

export async function writeReport(dir: string, metrics: EvaluationMetrics, computed: ComputeResult): Promise<ReportFiles> {
  await mkdir(dir, { recursive: true });
  const files: ReportFiles = {
    json: join(dir, 'metrics.json'),
    csv: join(dir, 'metrics.csv'),
    md: join(dir, 'metrics.md'),
    html: join(dir, 'report.html'),
  };
  await writeReportFile(files.json, `${JSON.stringify(metrics, null, 2)}\n`);
  await writeReportFile(files.csv, toCsv(metrics.rows, metrics.mean));
  await writeReportFile(files.md, toMarkdown(metrics.rows, metrics.mean, metrics.settings.fpr));
  const used = new Set<string>();
  const sections: CategorySection[] = [];
  for (const c of computed.categories) {
    const slug = uniqueSlug(c.category, used);
    const [lo, hi] = c.mapRange ?? [0, 1];
    sections.push({
      category: c.category,
      slug,
      pixelNote:
        c.pixel === 'evaluated'
          ? null
          : c.pixel === 'no-maps'
            ? 'Image-level run: the predictions carry no anomaly maps, so there are no pixel metrics or heatmaps.'
            : c.pixel === 'no-masks'
              ? 'Image-level ground truth: the defect images have no masks, so there are image metrics only.'
              : c.pixel === 'some-masks-missing'
                ? 'Some defect images have no mask: pixel metrics cover the masked defects (and every normal image) only.'
                : 'Some predictions of this category carry no map: pixel metrics are left out.',
      charts: charts(c),
      misses: await examples(c.misses, c, computed),
      falseAlarms: await examples(c.falseAlarms, c, computed),
      missCount: c.missCount,
      falseAlarmCount: c.falseAlarmCount,
      defectImages: c.defectScores.length,
      normalImages: c.normalScores.length,
      defectTypes: c.defectTypes,
      colourScale: hasMaps(c.pixel) && c.mapRange ? { lo, hi } : null,
      thresholds: c.thresholds,
    });
  }
  await writeReportFile(files.html, reportHtml(metrics, sections));
  return files;
}

function charts(c: CategoryEval): string[] {
  const val = (v: number | null): string => (v === null ? 'n/a' : v.toFixed(3));
  const roc: Series[] = [];
  const pr: Series[] = [];
  const iRoc = rocPoints(c.imageCurve);
  if (iRoc) roc.push({ name: `image AUROC ${val(aurocOf(c.imageCurve))}`, ...iRoc, color: IMAGE_COLOR });
  const iPr = prPoints(c.imageCurve);
  if (iPr) pr.push({ name: `image AP ${val(averagePrecisionOf(c.imageCurve))}`, ...iPr, color: IMAGE_COLOR });
  if (c.pixelCurve) {
    const pRoc = rocPoints(c.pixelCurve);
    if (pRoc) roc.push({ name: `pixel AUROC ${val(aurocOf(c.pixelCurve))}`, ...pRoc, color: PIXEL_COLOR });
    const pPr = prPoints(c.pixelCurve);
    if (pPr) pr.push({ name: `pixel AP ${val(averagePrecisionOf(c.pixelCurve))}`, ...pPr, color: PIXEL_COLOR });
  }
  const markers = c.thresholds.length <= 3 ? c.thresholds.map((t) => ({ x: t, label: `threshold ${t.toPrecision(3)}` })) : [];
  return [
    lineChartSvg({ title: `${c.category}: ROC`, xLabel: 'false positive rate', yLabel: 'true positive rate', series: roc, diagonal: true, legend: 'bottom-right', emptyNote: 'n/a: needs normal and defect samples' }),
    lineChartSvg({ title: `${c.category}: precision-recall`, xLabel: 'recall', yLabel: 'precision', series: pr, legend: 'bottom-left', emptyNote: 'n/a: needs defect samples' }),
    histogramSvg({
      title: `${c.category}: image scores`,
      xLabel: 'image anomaly score',
      groups: [
        { name: 'normal', values: c.normalScores, color: '#2ca02c' },
        { name: 'defect', values: c.defectScores, color: '#d62728' },
      ],
      markers,
    }),
  ];
}

async function examples(items: readonly EvalItem[], c: CategoryEval, computed: ComputeResult): Promise<ExampleFigure[]> {
  const out: ExampleFigure[] = [];
  for (const item of items) {
    const image = await decodeImage(item.sample.path);
    let map: Float32Array | null = null;
    let width = image.width;
    let height = image.height;
    let gt: Uint8Array | null = null;
    if (item.mapPath && hasMaps(c.pixel)) {
      const m = await readAnomalyMap(item.mapPath, item.sample.path, item.mapRoot);
      ({ width, height } = m);
      map = m.data;
      const idx = computed.defectPixels.get(item.sample.path);
      gt = idx ? maskOf(idx, width * height) : null;
    } else if (item.sample.label === 1) {
      // No map to size it by: show the mask at the image's size, if there is one.
      gt = await readGroundTruth(item.sample, width, height).catch(() => null);
    }
    const [lo, hi] = c.mapRange ?? [0, 1];
    const panel = examplePanel({ image, map, mapWidth: width, mapHeight: height, gt, lo, hi });
    const p = item.prediction;
    out.push({
      src: `data:image/png;base64,${(await encodePng(panel)).toString('base64')}`,
      caption: `${item.sample.defectType}: ${item.sample.path} | score ${p.score.toPrecision(4)} ${p.label === 1 ? '>=' : '<'} threshold ${p.threshold.toPrecision(4)} (${p.label === 1 ? 'flagged' : 'passed'}, ${p.model})`,
    });
  }
  return out;
}

function uniqueSlug(name: string, used: Set<string>): string {
  const base = name.toLowerCase().replace(/[^a-z0-9_-]+/g, '-').replace(/^-+|-+$/g, '') || 'category';
  let slug = base;
  for (let i = 2; used.has(slug); i++) slug = `${base}-${i}`;
  used.add(slug);
  return slug;
}

/** A report file; a full disk names the file (E_NO_SPACE) instead of failing anonymously. */
function writeReportFile(path: string, data: string): Promise<void> {
  return writingTo(path, () => writeFile(path, data));
}
