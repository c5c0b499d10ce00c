// predictions.csv: the lines of predictions.jsonl as one CSV table (for spreadsheets and pandas), rewritten whole
// from the JSONL at the end of every infer run and merge, so it covers resumed runs and merged shards alike.
// Text cells that a spreadsheet would run as a formula (= + - @, tab, CR first) get a leading apostrophe.
import { createReadStream } from 'node:fs';
import { rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { PREDICTIONS_FILE, parsePrediction } from './prediction.js';

export const PREDICTIONS_CSV_FILE = 'predictions.csv';

/** The columns, in order; nested JSON fields are flattened (classifier.category -> classifier_category). */
export const CSV_COLUMNS = [
  'path',
  'category',
  'score',
  'label',
  'verdict',
  'threshold',
  'model',
  'classifier_category',
  'classifier_confidence',
  'route',
  'artifact',
  'map',
  'mask',
  'overlay',
] as const;

/** One CSV cell: numbers as they are; text quoted when needed and defused when it could start a formula. */
export function csvCell(value: string | number | null | undefined): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : '';
  const text = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\n\r]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

export interface PredictionTotals {
  /** Lines in predictions.jsonl (every run of the directory, resumed ones included). */
  predictions: number;
  anomalies: number;
}

/** Writes <dir>/predictions.csv from <dir>/predictions.jsonl (replaced atomically); returns the totals it saw. */
export async function writePredictionsCsv(dir: string): Promise<PredictionTotals & { file: string }> {
  const source = join(dir, PREDICTIONS_FILE);
  const file = join(dir, PREDICTIONS_CSV_FILE);
  const rows: string[] = [CSV_COLUMNS.join(',')];
  const totals: PredictionTotals = { predictions: 0, anomalies: 0 };
  const lines = createInterface({ input: createReadStream(source, { encoding: 'utf8' }), crlfDelay: Infinity });
  let n = 0;
  for await (const text of lines) {
    n++;
    if (text.trim() === '') continue;
    const raw = JSON.parse(text) as Record<string, unknown>;
    const p = parsePrediction(raw, `${source} line ${n}`);
    const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);
    const route = (raw.route as { reason?: unknown } | undefined)?.reason;
    const artifact = raw.artifact as { kind?: unknown; category?: unknown; version?: unknown } | undefined;
    const cells = [
      p.path,
      p.category,
      p.score,
      p.label,
      p.label ? 'anomalous' : 'normal',
      p.threshold,
      p.model,
      p.classifier?.category ?? null,
      p.classifier?.confidence ?? null,
      str(route),
      artifact ? `${String(artifact.kind)}/${String(artifact.category)}/v${String(artifact.version).padStart(4, '0')}` : null,
      p.map,
      str(raw.mask),
      str(raw.overlay),
    ];
    rows.push(cells.map((c) => csvCell(c)).join(','));
    totals.predictions++;
    totals.anomalies += p.label;
  }
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, `${rows.join('\r\n')}\r\n`);
  await rename(tmp, file);
  return { ...totals, file };
}
