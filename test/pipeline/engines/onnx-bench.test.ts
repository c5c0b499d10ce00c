/** @jest-environment ./test/pipeline/engines/ort-environment.cjs */
// The engine benchmark (run with MADENET_BENCH=1; MADENET_BENCH_PRESETS=tiny,small, MADENET_BENCH_OUT=file.json):
// images/s of every submodel's and the classifier's preset, tfjs wasm vs onnxruntime at 1 and 2 threads.
// Without MADENET_BENCH it runs the tiny SRAD once at batch 2, to keep the benchmark code working.
import { writeFile } from 'node:fs/promises';
import { BENCH_MODELS, onnxBenchTable, runOnnxBench, type BenchPreset } from '../../../src/pipeline/engines/bench/onnx-bench.js';

const full = process.env.MADENET_BENCH === '1';

describe('onnx engine benchmark', () => {
  it(full ? 'measures tfjs wasm vs onnxruntime' : 'runs (smoke: tiny SRAD, batch 2)', async () => {
    const presets = (process.env.MADENET_BENCH_PRESETS ?? 'tiny,small').split(',') as BenchPreset[];
    const rows = await runOnnxBench(
      full
        ? { models: BENCH_MODELS, presets, batch: 8, reps: 5, warmup: 2, wasmThreads: [1, 2], ortThreads: [1, 2], onProgress: (m) => process.stderr.write(`${m}\n`) }
        : { models: ['srad'], presets: ['tiny'], batch: 2, reps: 1, warmup: 1, wasmThreads: [1], ortThreads: [1] },
    );
    expect(rows.length).toBe(full ? BENCH_MODELS.length * presets.length * 4 : 2);
    for (const r of rows) expect(r.imagesPerSecond).toBeGreaterThan(0);
    const table = onnxBenchTable(rows);
    expect(table.split('\n')).toHaveLength(2 + (full ? BENCH_MODELS.length * presets.length : 1));
    if (full) {
      process.stdout.write(`${table}\n`);
      if (process.env.MADENET_BENCH_OUT) await writeFile(process.env.MADENET_BENCH_OUT, `${JSON.stringify(rows, null, 2)}\n`);
    }
  }, 1_800_000);
});
