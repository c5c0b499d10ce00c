// Test-split measurements of one submodel alone on its category (the evaluate --model path: a one-model perfmap
// built on validation data, infer, evaluate), and reading routed predictions back. Trains nothing.
import { join } from 'node:path';
import type { Prediction } from '../../src/pipeline/predictions/prediction.js';
import { readPredictions } from '../../src/pipeline/predictions/read-predictions.js';
import type { BackendRequest } from '../../src/pipeline/runtime/backend.js';
import { evaluate, type EvaluateResult } from '../../src/pipeline/services/evaluate.js';
import { inferForEvaluation } from '../../src/pipeline/services/evaluate-model.js';
import type { Metrics } from './results.js';

export interface SubmodelEvaluation extends Metrics {
  imagesPerSecond: number;
  images: number;
}

export async function evaluateSubmodel(opts: {
  model: string;
  data: string;
  category: string;
  out: string;
  backend: BackendRequest;
  threads: number;
}): Promise<SubmodelEvaluation> {
  const ran = await inferForEvaluation({ model: opts.model, data: opts.data, categories: [opts.category], out: opts.out, backend: opts.backend, threads: opts.threads });
  const ev = await evaluate({ predictions: ran.predictions, data: opts.data, categories: [opts.category], out: join(opts.out, 'evaluation') });
  return { ...metricsOf(ev, opts.category), imagesPerSecond: ran.infer.timing.imagesPerSecond, images: ran.infer.images.predicted };
}

export function metricsOf(ev: EvaluateResult, category: string): Metrics {
  const row = ev.metrics.rows.find((r) => r.category === category && r.defectType === 'all');
  return { imageAuroc: row?.imageAuroc ?? null, pixelAuroc: row?.pixelAuroc ?? null, pixelAp: row?.pixelAp ?? null, aupro: row?.aupro ?? null };
}

export async function readAllPredictions(dir: string): Promise<Prediction[]> {
  const all: Prediction[] = [];
  for await (const p of readPredictions(dir)) all.push(p);
  return all;
}
