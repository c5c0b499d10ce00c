// Reads a dataset manifest (CSV with a header row, or JSONL) listing path, category, split, label,
// defect type and mask per image, for layouts other than MVTec AD. Relative paths are relative to the file.
// A malformed row is an error naming file:line; a listed file that is missing is a Problem.
import { readFile, stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { MadenetError } from '../core/errors.js';
import { boundedMap } from './bounded-map.js';
import type { Problem, Sample, Split } from './dataset-types.js';

/** Accepted column names (compared lower-case without spaces, dashes or underscores). */
const COLUMNS: Record<string, keyof Row> = {
  path: 'path',
  image: 'path',
  imagepath: 'path',
  file: 'path',
  category: 'category',
  split: 'split',
  label: 'label',
  defecttype: 'defectType',
  type: 'defectType',
  mask: 'mask',
  maskpath: 'mask',
};

const LABELS: Record<string, 0 | 1> = {
  '0': 0,
  normal: 0,
  good: 0,
  ok: 0,
  '1': 1,
  anomaly: 1,
  anomalous: 1,
  defect: 1,
  defective: 1,
  bad: 1,
  ng: 1,
};

interface Row {
  path?: string;
  category?: string;
  split?: string;
  label?: string;
  defectType?: string;
  mask?: string;
}

interface Located {
  line: number;
  row: Row;
}

export function isManifestPath(path: string): boolean {
  return /\.(csv|jsonl)$/i.test(path);
}

export async function loadManifest(file: string): Promise<{ samples: Sample[]; problems: Problem[] }> {
  const text = await readFile(file, 'utf8');
  const rows = /\.jsonl$/i.test(file) ? parseJsonl(text, file) : parseCsv(text, file);
  const base = dirname(file);
  const samples = rows.map((r) => toSample(r, file, base));
  const problems: Problem[] = [];
  // Check existence with a few stats in flight; a manifest may list many thousands of files.
  const checks = boundedMap(
    samples,
    async (s) => ({ s, image: await exists(s.path), mask: s.maskPath === null || (await exists(s.maskPath)) }),
    { concurrency: 8 },
  );
  const kept: Sample[] = [];
  const unmasked: Sample[] = [];
  for await (const { s, image, mask } of checks) {
    if (!image) {
      problems.push({
        code: 'E_NOT_FOUND',
        severity: 'error',
        path: s.path,
        category: s.category,
        message: `Image ${s.path} listed in ${file} does not exist; expected a file at that path (relative paths are relative to the manifest).`,
      });
      continue;
    }
    if (!mask) {
      problems.push({
        code: 'E_MASK_MISSING',
        severity: 'error',
        path: s.maskPath as string,
        category: s.category,
        message: `Mask ${s.maskPath} listed in ${file} for ${s.path} does not exist; expected a mask file at that path.`,
      });
      kept.push({ ...s, maskPath: null });
      continue;
    }
    if (s.label === 1 && s.maskPath === null) unmasked.push(s);
    kept.push(s);
  }
  // A category without any mask listed is image-level (labels only) and fine as such; a gap among masks is named.
  const withMasks = new Set(samples.filter((s) => s.maskPath !== null).map((s) => s.category));
  for (const s of unmasked.filter((u) => withMasks.has(u.category))) {
    problems.push({
      code: 'E_MASK_MISSING',
      severity: 'warning',
      path: s.path,
      category: s.category,
      message: `Defect image ${s.path} has no mask in ${file}; pixel-level metrics will leave it out.`,
    });
  }
  return { samples: kept, problems };
}

function toSample({ line, row }: Located, file: string, base: string): Sample {
  const where = `${file}:${line}`;
  const need = (key: keyof Row, what: string): string => {
    const v = row[key]?.trim();
    if (!v) throw bad(where, `has no ${what}`, `a ${what} on every row`);
    return v;
  };
  const path = resolve(base, need('path', 'path'));
  const category = need('category', 'category');
  const split = need('split', 'split').toLowerCase();
  if (split !== 'train' && split !== 'test') throw bad(where, `has split "${split}"`, 'split to be train or test');
  const labelText = need('label', 'label').toLowerCase();
  const label = LABELS[labelText];
  if (label === undefined) throw bad(where, `has label "${labelText}"`, 'label 0/1 (or normal/good, anomaly/defect)');
  const defectType = row.defectType?.trim() || (label === 0 ? 'good' : 'defect');
  const mask = row.mask?.trim();
  return { path, category, split: split as Split, label, defectType, maskPath: mask && label === 1 ? resolve(base, mask) : null };
}

function bad(where: string, what: string, expected: string): MadenetError {
  return new MadenetError('E_DATASET', `Manifest row ${where} ${what}; expected ${expected}.`, {
    suggestions: ['Columns: path, category, split (train|test), label (0|1), defect_type, mask.'],
  });
}

function parseJsonl(text: string, file: string): Located[] {
  const out: Located[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    if (raw.trim() === '') return;
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch (err) {
      throw new MadenetError('E_DATASET', `Manifest line ${file}:${i + 1} is not valid JSON (${(err as Error).message}); expected one JSON object per line.`);
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      throw bad(`${file}:${i + 1}`, 'is not a JSON object', 'one object per line');
    }
    const row: Row = {};
    for (const [k, v] of Object.entries(value)) {
      const key = COLUMNS[normaliseColumn(k)];
      if (key && v !== null && v !== undefined) row[key] = String(v);
    }
    out.push({ line: i + 1, row });
  });
  return out;
}

function parseCsv(text: string, file: string): Located[] {
  const records = csvRecords(text.replace(/^\uFEFF/, ''), file);
  const header = records.shift();
  if (!header) throw new MadenetError('E_DATASET', `Manifest ${file} is empty; expected a header row and one row per image.`);
  const keys = header.fields.map((h) => COLUMNS[normaliseColumn(h)]);
  for (const required of ['path', 'category', 'split', 'label'] as const) {
    if (!keys.includes(required)) {
      throw new MadenetError('E_DATASET', `Manifest ${file} has no "${required}" column; found ${header.fields.join(', ')}.`, {
        suggestions: ['Columns: path, category, split (train|test), label (0|1), defect_type, mask.'],
      });
    }
  }
  return records
    .filter((r) => r.fields.some((f) => f.trim() !== ''))
    .map((r) => {
      const row: Row = {};
      r.fields.forEach((f, i) => {
        const key = keys[i];
        if (key) row[key] = f;
      });
      return { line: r.line, row };
    });
}

/** RFC 4180: commas, double-quoted fields with "" escapes and embedded newlines. */
function csvRecords(text: string, file: string): { line: number; fields: string[] }[] {
  const out: { line: number; fields: string[] }[] = [];
  let fields: string[] = [];
  let field = '';
  let quoted = false;
  let line = 1;
  let start = 1;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else {
        if (c === '\n') line++;
        field += c;
      }
    } else if (c === '"' && field === '') quoted = true;
    else if (c === ',') {
      fields.push(field);
      field = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      fields.push(field);
      out.push({ line: start, fields });
      fields = [];
      field = '';
      line++;
      start = line;
    } else field += c;
  }
  if (quoted) throw new MadenetError('E_DATASET', `Manifest ${file} ends inside a quoted field opened on line ${start}; expected a closing ".`);
  if (field !== '' || fields.length > 0) {
    fields.push(field);
    out.push({ line: start, fields });
  }
  return out;
}

function normaliseColumn(name: string): string {
  return name.toLowerCase().replace(/[\s_-]/g, '');
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then((s) => s.isFile()).catch(() => false);
}
