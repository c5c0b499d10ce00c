// The rows of an evaluation (one per category, one per category x defect type, and the mean) and their
// renderings as CSV, Markdown and a fixed-width console table. Formatting only; no metric is computed here.

export interface AtThreshold {
  /** Counts from the labels stored in the predictions (the threshold in force when infer ran). */
  tp: number;
  fp: number;
  fn: number;
  tn: number;
  precision: number | null;
  recall: number | null;
  f1: number | null;
  fpr: number | null;
}

export interface MetricsRow {
  category: string;
  /** "all" for the whole category, else one defect type (its images plus the category's normals). */
  defectType: string;
  images: number;
  normals: number;
  defects: number;
  imageAuroc: number | null;
  imageAp: number | null;
  pixelAuroc: number | null;
  pixelAp: number | null;
  aupro: number | null;
  f1Max: number | null;
  f1Threshold: number | null;
  tprAtFpr: number | null;
  tprThreshold: number | null;
  atThreshold: AtThreshold;
}

export const METRIC_KEYS = ['imageAuroc', 'imageAp', 'pixelAuroc', 'pixelAp', 'aupro', 'f1Max', 'tprAtFpr'] as const;
export type MetricKey = (typeof METRIC_KEYS)[number];

export interface MeanRow {
  /** Mean over the categories whose value is defined; null when none is. */
  values: Record<MetricKey, number | null>;
  /** How many categories entered each mean. */
  counts: Record<MetricKey, number>;
}

export function meanRow(rows: readonly MetricsRow[]): MeanRow {
  const cats = rows.filter((r) => r.defectType === 'all');
  const values = {} as Record<MetricKey, number | null>;
  const counts = {} as Record<MetricKey, number>;
  for (const k of METRIC_KEYS) {
    const vals = cats.map((r) => r[k]).filter((v): v is number => v !== null);
    values[k] = vals.length > 0 ? vals.reduce((a, b) => a + b, 0) / vals.length : null;
    counts[k] = vals.length;
  }
  return { values, counts };
}

const HEAD: Record<MetricKey, string> = {
  imageAuroc: 'image AUROC',
  imageAp: 'image AP',
  pixelAuroc: 'pixel AUROC',
  pixelAp: 'pixel AP',
  aupro: 'AUPRO@0.3',
  f1Max: 'F1-max',
  tprAtFpr: 'TPR@FPR',
};

function fmt(v: number | null, digits = 3): string {
  return v === null ? 'n/a' : v.toFixed(digits);
}

export function toCsv(rows: readonly MetricsRow[], mean: MeanRow): string {
  const cols = [
    'category',
    'defect_type',
    'images',
    'normals',
    'defects',
    'image_auroc',
    'image_ap',
    'pixel_auroc',
    'pixel_ap',
    'aupro',
    'f1_max',
    'f1_threshold',
    'tpr_at_fpr',
    'tpr_threshold',
    'precision_at_threshold',
    'recall_at_threshold',
    'f1_at_threshold',
    'fpr_at_threshold',
  ];
  const cell = (v: string | number | null): string => (v === null ? '' : typeof v === 'number' ? String(v) : csvText(v));
  const lines = [cols.join(',')];
  for (const r of rows) {
    lines.push(
      [
        r.category,
        r.defectType,
        r.images,
        r.normals,
        r.defects,
        r.imageAuroc,
        r.imageAp,
        r.pixelAuroc,
        r.pixelAp,
        r.aupro,
        r.f1Max,
        r.f1Threshold,
        r.tprAtFpr,
        r.tprThreshold,
        r.atThreshold.precision,
        r.atThreshold.recall,
        r.atThreshold.f1,
        r.atThreshold.fpr,
      ]
        .map(cell)
        .join(','),
    );
  }
  const m = mean.values;
  lines.push(
    ['mean', 'all', '', '', '', m.imageAuroc, m.imageAp, m.pixelAuroc, m.pixelAp, m.aupro, m.f1Max, '', m.tprAtFpr, '', '', '', '', '']
      .map(cell)
      .join(','),
  );
  return `${lines.join('\n')}\n`;
}

/**
 * A name (category, defect type: folder names anyone can choose) as one CSV field that a spreadsheet shows as
 * text: quoted when needed, and a leading = + - @ (or tab/CR) prefixed with ' so it is never run as a formula.
 */
export function csvText(name: string): string {
  const safe = /^[=+\-@\t\r]/.test(name) ? `'${name}` : name;
  return /[",\n\r]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

/**
 * A name as plain text inside a Markdown table cell: HTML special characters escaped (Markdown renders raw HTML),
 * "|" escaped (it would split the cell), Markdown emphasis/link characters escaped, newlines as spaces.
 */
export function markdownText(name: string): string {
  return name
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/[\\`*_[\]|]/g, (c) => `\\${c}`)
    .replace(/[\r\n]+/g, ' ');
}

/** Markdown table: one line per category and defect type, then the mean over categories. */
export function toMarkdown(rows: readonly MetricsRow[], mean: MeanRow, fpr: number): string {
  const head = ['category', 'defect type', 'normal', 'defect', ...METRIC_KEYS.map((k) => (k === 'tprAtFpr' ? `TPR@FPR=${fpr}` : HEAD[k]))];
  const lines = [`| ${head.join(' | ')} |`, `|${head.map((_, i) => (i < 2 ? ' --- ' : ' ---: ')).join('|')}|`];
  for (const r of rows) {
    const name = r.defectType === 'all' ? `**${markdownText(r.category)}**` : markdownText(r.category);
    const type = r.defectType === 'all' ? '(all)' : markdownText(r.defectType);
    lines.push(`| ${[name, type, r.normals, r.defects, ...METRIC_KEYS.map((k) => fmt(r[k]))].join(' | ')} |`);
  }
  lines.push(`| ${['**mean**', '(categories)', '', '', ...METRIC_KEYS.map((k) => fmt(mean.values[k]))].join(' | ')} |`);
  return `${lines.join('\n')}\n`;
}

/** Fixed-width table for the terminal. */
export function toConsoleTable(rows: readonly MetricsRow[], mean: MeanRow, fpr: number): string {
  const head = ['category', 'type', 'normal', 'defect', ...METRIC_KEYS.map((k) => (k === 'tprAtFpr' ? `TPR@${fpr}` : HEAD[k]))];
  const body = rows.map((r) => [
    r.defectType === 'all' ? r.category : '',
    r.defectType === 'all' ? '(all)' : r.defectType,
    String(r.normals),
    String(r.defects),
    ...METRIC_KEYS.map((k) => fmt(r[k])),
  ]);
  body.push(['mean', '(categories)', '', '', ...METRIC_KEYS.map((k) => fmt(mean.values[k]))]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => (b[i] as string).length)));
  const line = (cells: string[]): string => cells.map((c, i) => (i < 2 ? c.padEnd(widths[i] as number) : c.padStart(widths[i] as number))).join('  ');
  return [line(head), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line)].join('\n');
}
