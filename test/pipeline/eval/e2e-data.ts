// Writes the end-to-end evaluation case of evaluate-e2e.json to disk: an MVTec-layout dataset (20x20 PNG
// images and masks) and a predictions directory (predictions.jsonl + 16x16 .npy maps).
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writePng } from '../../../src/pipeline/io/decode.js';
import { createImage, createMask } from '../../../src/pipeline/io/image.js';
import { writeNpy } from '../../../src/pipeline/io/npy.js';
import { formatPrediction, type Prediction } from '../../../src/pipeline/predictions/prediction.js';
import type { MetricsRow } from '../../../src/pipeline/eval/report/metrics-table.js';
import { loadReference } from './reference.js';

export interface E2eImage {
  category: string;
  defectType: string;
  stem: string;
  score: number;
  label: 0 | 1;
  map: number[];
  mask: number[] | null;
}

/** A reference row of evaluate-e2e.json: the metrics row evaluate writes, less the two chosen thresholds. */
export type E2eRow = Omit<MetricsRow, 'f1Threshold' | 'tprThreshold'>;

export interface E2eCase {
  threshold: number;
  imageSize: number;
  mapWidth: number;
  mapHeight: number;
  images: E2eImage[];
  rows: E2eRow[];
  mean: Record<string, number | null>;
}

export const e2e = loadReference<E2eCase>('evaluate-e2e.json');

export interface E2eOptions {
  /** Leave maps out of the predictions (image-level run). */
  withoutMaps?: boolean;
}

/** Writes data/ and predictions/ under dir; returns their paths and the predictions written. */
export async function writeE2e(dir: string, opts: E2eOptions = {}): Promise<{ data: string; predictions: string; lines: Prediction[] }> {
  const data = join(dir, 'data');
  const predictions = join(dir, 'predictions');
  const size = e2e.imageSize;
  const lines: Prediction[] = [];
  for (const category of new Set(e2e.images.map((i) => i.category))) {
    await writePng(join(data, category, 'train', 'good', '000.png'), createImage(size, size, 0.5));
  }
  for (const img of e2e.images) {
    const path = join(data, img.category, 'test', img.defectType, `${img.stem}.png`);
    const image = createImage(size, size);
    for (let i = 0; i < size * size; i++) {
      const x = i % size;
      const defect = img.mask?.[i] === 1;
      image.data[i * 3] = defect ? 0.9 : 0.3 + (0.4 * x) / size;
      image.data[i * 3 + 1] = defect ? 0.1 : 0.35;
      image.data[i * 3 + 2] = defect ? 0.1 : 0.45;
    }
    await writePng(path, image);
    if (img.mask) {
      const mask = createMask(size, size);
      mask.data.set(img.mask);
      await writePng(join(data, img.category, 'ground_truth', img.defectType, `${img.stem}_mask.png`), mask);
    }
    const mapRel = `maps/${img.category}/${img.defectType}/${img.stem}.npy`;
    if (!opts.withoutMaps) await writeNpy(join(predictions, mapRel), Float32Array.from(img.map), [e2e.mapHeight, e2e.mapWidth]);
    lines.push({
      path,
      category: img.category,
      score: img.score,
      label: img.score >= e2e.threshold ? 1 : 0,
      threshold: e2e.threshold,
      model: 'srad',
      classifier: null,
      map: opts.withoutMaps ? null : mapRel,
    });
  }
  await mkdir(predictions, { recursive: true });
  await writeFile(join(predictions, 'predictions.jsonl'), lines.map(formatPrediction).join(''));
  return { data, predictions, lines };
}
