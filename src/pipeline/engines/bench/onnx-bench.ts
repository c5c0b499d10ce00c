// Forward-pass benchmark of the two inference engines: each submodel's (and the classifier's) preset with seeded
// random weights, a batch of random images, tfjs wasm vs onnxruntime at the given thread counts. Medians of wall
// and process CPU time after warm-up; scores and maps read back to JS in both, as infer does.
import * as tf from '@tensorflow/tfjs';
import { classifierPreset, type ClassifierPresetName } from '../../../models/classifier/config.js';
import { buildClassifier } from '../../../models/classifier/model.js';
import { lpdPreset } from '../../submodels/lpd/model/config.js';
import type { GdeState } from '../../submodels/lpd/model/gde.js';
import { buildLpd, disposeLpd, lpdEmbeddings } from '../../submodels/lpd/model/model.js';
import { sfadPreset } from '../../submodels/sfad/model/config.js';
import { buildSfad, disposeSfad } from '../../submodels/sfad/model/model.js';
import { sradPreset, type SradPresetName } from '../../submodels/srad/model/config.js';
import { buildSrad, disposeSrad } from '../../submodels/srad/model/model.js';
import { classifierFromModel } from '../../detectors/classifier.js';
import { lpdDetector, lpdInferenceModel } from '../../submodels/lpd/detector.js';
import { sfadDetector } from '../../submodels/sfad/detector.js';
import { sradDetector } from '../../submodels/srad/detector.js';
import { classifierGraph } from '../../export/classifier-graph.js';
import { lpdGraph } from '../../submodels/lpd/onnx-graph.js';
import type { OnnxGraph } from '../../export/onnx-graph.js';
import { encodeModel } from '../../export/onnx-proto.js';
import { sfadGraph } from '../../submodels/sfad/onnx-graph.js';
import { sradGraph } from '../../submodels/srad/onnx-graph.js';
import { Rng } from '../../core/random.js';
import { initRuntime } from '../../runtime/backend.js';
import { median } from '../../runtime/bench/timing.js';
import { tfjsAsyncClassifier, tfjsAsyncDetector } from '../async-detector.js';
import { onnxClassifierFromBytes, onnxDetectorFromBytes } from '../onnx-detector.js';

export const BENCH_MODELS = ['srad', 'sfad', 'lpd', 'classifier'] as const;
export type BenchModel = (typeof BENCH_MODELS)[number];
export type BenchPreset = 'tiny' | 'small' | 'paper';

export interface OnnxBenchOptions {
  models: readonly BenchModel[];
  presets: readonly BenchPreset[];
  batch: number;
  reps: number;
  warmup: number;
  /** wasm thread counts (each restarts the wasm backend) and onnxruntime intra-op thread counts. */
  wasmThreads: readonly number[];
  ortThreads: readonly number[];
  onProgress?: (message: string) => void;
}

export interface OnnxBenchRow {
  model: BenchModel;
  preset: BenchPreset;
  imageSize: number;
  batch: number;
  engine: 'tfjs-wasm' | 'onnxruntime';
  threads: number;
  /** Median wall / process-CPU milliseconds per batch. */
  wallMs: number;
  cpuMs: number;
  imagesPerSecond: number;
  onnxBytes: number;
}

export type Predict = (images: Float32Array, n: number) => Promise<unknown>;

export interface BuiltBenchModel {
  size: number;
  graph: OnnxGraph;
  tfjs: Predict;
  dispose: () => void;
}

/** A model of `preset` with seeded random weights: its ONNX graph and its tfjs predict, as infer runs them. */
export function buildBenchModel(model: BenchModel, preset: BenchPreset): BuiltBenchModel {
  if (model === 'srad') {
    const cfg = sradPreset(preset as SradPresetName);
    const m = buildSrad(cfg);
    const d = tfjsAsyncDetector(sradDetector(m, cfg, { category: 'bench', artifactDir: null, ownsModels: false }));
    return { size: cfg.imageSize, graph: sradGraph(m, cfg), tfjs: (x, n) => d.predictAsync(x, n), dispose: () => disposeSrad(m) };
  }
  if (model === 'sfad') {
    const cfg = sfadPreset(preset);
    const m = buildSfad(cfg, { seed: 1 });
    const d = tfjsAsyncDetector(sfadDetector(m, cfg, { category: 'bench', artifactDir: null, ownsModels: false }));
    return { size: cfg.imageSize, graph: sfadGraph(m, cfg), tfjs: (x, n) => d.predictAsync(x, n), dispose: () => disposeSfad(m) };
  }
  if (model === 'lpd') {
    const cfg = lpdPreset(preset);
    const lpd = buildLpd(cfg, { seed: 1 });
    // The GDE grid is the largest embedding map, whose stride depends on the preset's layers: measure it.
    const probe = tf.zeros([1, cfg.imageSize, cfg.imageSize, 3]) as tf.Tensor4D;
    const emb = lpdEmbeddings(lpd.extractor, probe, cfg);
    const [, side = 0, width = 0] = emb.shape;
    tf.dispose([probe, emb]);
    if (side !== width) throw new Error(`LPD ${preset} embeddings are ${side}x${width}; expected a square grid.`);
    const l = side * side;
    const covInv = new Float32Array(l * cfg.gdeDim * cfg.gdeDim);
    for (let i = 0; i < l; i++) for (let k = 0; k < cfg.gdeDim; k++) covInv[i * cfg.gdeDim * cfg.gdeDim + k * cfg.gdeDim + k] = 1;
    const gde: GdeState = { height: side, width: side, dim: cfg.gdeDim, count: 1, mean: new Float32Array(l * cfg.gdeDim), covInv };
    const d = tfjsAsyncDetector(lpdDetector(lpd.model, gde, cfg, { category: 'bench', artifactDir: null, ownsModel: false, scoring: 'head' }));
    return { size: cfg.imageSize, graph: lpdGraph(lpdInferenceModel(lpd.model, cfg.gdeLayers), gde, cfg, 'head'), tfjs: (x, n) => d.predictAsync(x, n), dispose: () => disposeLpd(lpd) };
  }
  const cfg = classifierPreset(preset as ClassifierPresetName);
  const m = buildClassifier(cfg, 11);
  const c = tfjsAsyncClassifier(classifierFromModel(m, Array.from({ length: 11 }, (_, i) => `c${i}`), cfg.imageSize, true));
  return { size: cfg.imageSize, graph: classifierGraph(m, cfg.imageSize), tfjs: (x, n) => c.predictAsync(x, n), dispose: () => c.dispose() };
}

/** Median wall and process-CPU ms of `reps` calls after `warmup` untimed ones. */
export async function timePredict(f: Predict, input: Float32Array, n: number, reps: number, warmup: number): Promise<{ wallMs: number; cpuMs: number }> {
  for (let i = 0; i < warmup; i++) await f(input, n);
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < reps; i++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    await f(input, n);
    wall.push(performance.now() - t0);
    const c = process.cpuUsage(c0);
    cpu.push((c.user + c.system) / 1000);
  }
  return { wallMs: median(wall), cpuMs: median(cpu) };
}

export async function runOnnxBench(o: OnnxBenchOptions): Promise<OnnxBenchRow[]> {
  const say = o.onProgress ?? (() => undefined);
  const rows: OnnxBenchRow[] = [];
  const rng = new Rng(7);
  const row = (model: BenchModel, preset: BenchPreset, size: number, engine: OnnxBenchRow['engine'], threads: number, t: { wallMs: number; cpuMs: number }, onnxBytes: number): OnnxBenchRow => ({
    model, preset, imageSize: size, batch: o.batch, engine, threads, ...t, imagesPerSecond: (1000 * o.batch) / t.wallMs, onnxBytes,
  });
  for (const [wi, wt] of o.wasmThreads.entries()) {
    // Changing the wasm thread count restarts the backend: models are built again under each.
    await initRuntime({ backend: 'wasm', threads: wt });
    for (const preset of o.presets) {
      for (const model of o.models) {
        const b = buildBenchModel(model, preset);
        const input = Float32Array.from({ length: o.batch * b.size * b.size * 3 }, () => rng.next());
        const bytes = encodeModel(b.graph.toModel({ producerVersion: 'bench' }));
        say(`${model} ${preset}: tfjs wasm ${wt} thread(s)`);
        rows.push(row(model, preset, b.size, 'tfjs-wasm', wt, await timePredict(b.tfjs, input, o.batch, o.reps, o.warmup), bytes.byteLength));
        b.dispose();
        if (wi > 0) continue;
        for (const ot of o.ortThreads) {
          say(`${model} ${preset}: onnxruntime ${ot} thread(s)`);
          const info = { kind: 'srad' as const, category: 'bench', imageSize: b.size, artifactDir: null };
          const runner = model === 'classifier' ? await onnxClassifierFromBytes(bytes, { categories: Array.from({ length: 11 }, (_, i) => `c${i}`), imageSize: b.size }, { threads: ot }) : await onnxDetectorFromBytes(bytes, info, { threads: ot });
          rows.push(row(model, preset, b.size, 'onnxruntime', ot, await timePredict((x, n) => runner.predictAsync(x, n), input, o.batch, o.reps, o.warmup), bytes.byteLength));
          runner.dispose();
        }
      }
    }
  }
  return rows;
}

/** Markdown table: one line per model/preset, images/s per engine and thread count, and the speed-up. */
export function onnxBenchTable(rows: readonly OnnxBenchRow[]): string {
  const engines = [...new Set(rows.map((r) => `${r.engine === 'tfjs-wasm' ? 'tfjs wasm' : 'onnxruntime'} ${r.threads}t`))];
  const keys = [...new Set(rows.map((r) => `${r.model}|${r.preset}`))];
  const lines = [`| model | preset | size | batch | ${engines.map((e) => `${e} img/s (ms/batch)`).join(' | ')} | ort 1t / wasm 1t |`, `|${'---|'.repeat(5 + engines.length)}`];
  for (const key of keys) {
    const rs = rows.filter((r) => `${r.model}|${r.preset}` === key);
    const first = rs[0] as OnnxBenchRow;
    const cell = (e: string): string => {
      const r = rs.find((x) => `${x.engine === 'tfjs-wasm' ? 'tfjs wasm' : 'onnxruntime'} ${x.threads}t` === e);
      return r ? `${r.imagesPerSecond.toFixed(1)} (${r.wallMs.toFixed(0)})` : '';
    };
    const w1 = rs.find((r) => r.engine === 'tfjs-wasm' && r.threads === 1);
    const o1 = rs.find((r) => r.engine === 'onnxruntime' && r.threads === 1);
    const speedup = w1 && o1 ? `${(w1.wallMs / o1.wallMs).toFixed(1)}x` : '';
    lines.push(`| ${first.model} | ${first.preset} | ${first.imageSize} | ${first.batch} | ${engines.map(cell).join(' | ')} | ${speedup} |`);
  }
  return lines.join('\n');
}
