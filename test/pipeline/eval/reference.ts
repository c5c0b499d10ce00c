// Loads the reference values written by test/fixtures/eval/make_fixtures.py (scikit-learn, scipy, numpy).
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const FIXTURES = fileURLToPath(new URL('../../fixtures/eval/', import.meta.url));

export function loadReference<T>(name: string): T {
  return JSON.parse(readFileSync(`${FIXTURES}${name}`, 'utf8')) as T;
}

export interface TprRef {
  tpr: number;
  fpr: number;
  threshold: number | null;
}

export interface ImageCase {
  name: string;
  scores: number[];
  labels: number[];
  auroc: number | null;
  ap: number | null;
  f1max: { f1: number; threshold: number; precision: number; recall: number } | null;
  tprAtFpr: { target: number; result: TprRef | null }[];
}

export interface PixelCase {
  name: string;
  width: number;
  height: number;
  maps: number[][];
  masks: number[][];
  auroc: number | null;
  ap: number | null;
  aupro: Record<string, number | null>;
  regions: number;
  regionsPerImage: number[];
  defectPixels: number;
  normalPixels: number;
}

export interface MetricsReference {
  fprTargets: number[];
  image: ImageCase[];
  pixel: PixelCase[];
}

/** Closeness for values that are exact up to float64 summation order. */
export const DIGITS = 12;
