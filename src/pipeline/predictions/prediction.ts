// The predictions format shared by infer (writer) and evaluate (reader): one JSON object per image in
// DIR/predictions.jsonl, maps as .npy files under DIR. Validation and canonical serialisation only; no I/O.
import { isAbsolute, join, normalize } from 'node:path';
import { MadenetError } from '../core/errors.js';
import { isKindShaped, type SubmodelKind } from '../core/submodel-kinds.js';

export const PREDICTIONS_FILE = 'predictions.jsonl';

export interface ClassifierResult {
  category: string;
  confidence: number;
}

export interface Prediction {
  /** The image path exactly as given to infer. */
  path: string;
  category: string;
  /** Higher = more anomalous. */
  score: number;
  /** 1 when score >= threshold. */
  label: 0 | 1;
  threshold: number;
  model: SubmodelKind;
  classifier: ClassifierResult | null;
  /** Path of the [H, W] float32 .npy anomaly map, relative to the predictions directory; null if not saved. */
  map: string | null;
}

/** Checks one decoded JSON value; `where` names it in messages (e.g. "predictions.jsonl line 3"). */
export function parsePrediction(value: unknown, where: string): Prediction {
  const fail = (why: string): MadenetError =>
    new MadenetError('E_PREDICTIONS', `Bad prediction at ${where}: ${why}; expected the fields of the predictions format.`, {
      suggestions: ['See "Predictions format" in the README; rerun infer to rewrite the file.'],
    });
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw fail('not a JSON object');
  const o = value as Record<string, unknown>;
  const str = (k: string): string => {
    const v = o[k];
    if (typeof v !== 'string' || v.length === 0) throw fail(`"${k}" is ${JSON.stringify(v)}, not a non-empty string`);
    return v;
  };
  const num = (k: string): number => {
    const v = o[k];
    if (typeof v !== 'number' || !Number.isFinite(v)) throw fail(`"${k}" is ${typeof v === 'number' ? v : JSON.stringify(v)}, not a finite number`);
    return v;
  };
  const path = str('path');
  const category = str('category');
  const score = num('score');
  const threshold = num('threshold');
  const label = o.label;
  if (label !== 0 && label !== 1) throw fail(`"label" is ${JSON.stringify(label)}, not 0 or 1`);
  const model = o.model;
  // The format sits below the submodel registry, so it checks the name's shape; which kinds exist is the registry's.
  if (!isKindShaped(model)) throw fail(`"model" is ${JSON.stringify(model)}, not a submodel kind (lowercase letters, digits, dashes)`);
  const classifier = parseClassifier(o.classifier, fail);
  const map = o.map;
  if (map !== null && (typeof map !== 'string' || !isSafeRelative(map))) {
    throw fail(`"map" is ${JSON.stringify(map)}, not null or a relative path inside the directory`);
  }
  return { path, category, score, label, threshold, model, classifier, map };
}

/** One line of predictions.jsonl (with its newline), fields in the documented order. */
export function formatPrediction(p: Prediction): string {
  const checked = parsePrediction(p, `prediction for ${p.path}`);
  const ordered: Prediction = {
    path: checked.path,
    category: checked.category,
    score: checked.score,
    label: checked.label,
    threshold: checked.threshold,
    model: checked.model,
    classifier: checked.classifier && { category: checked.classifier.category, confidence: checked.classifier.confidence },
    map: checked.map,
  };
  return `${JSON.stringify(ordered)}\n`;
}

/** Absolute path of a prediction's map, or null when it has none. */
export function resolveMapPath(dir: string, p: Prediction): string | null {
  return p.map === null ? null : join(dir, p.map);
}

function parseClassifier(v: unknown, fail: (why: string) => MadenetError): ClassifierResult | null {
  if (v === null) return null;
  if (typeof v !== 'object' || Array.isArray(v)) throw fail(`"classifier" is ${JSON.stringify(v)}, not null or {category, confidence}`);
  const c = v as Record<string, unknown>;
  if (typeof c.category !== 'string' || typeof c.confidence !== 'number' || !Number.isFinite(c.confidence)) {
    throw fail(`"classifier" is ${JSON.stringify(v)}, not {category: string, confidence: number}`);
  }
  return { category: c.category, confidence: c.confidence };
}

function isSafeRelative(p: string): boolean {
  if (p.length === 0 || isAbsolute(p) || p.includes('\\')) return false;
  const n = normalize(p);
  return n !== '..' && !n.startsWith('../');
}
