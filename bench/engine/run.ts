// `npm run bench:engine`: the fixed engine benchmark (the same as `madenet doctor --bench`) as a script, with a
// choice of backends. Prints a table, or with --json {"backends": {...}, "pytorch": ..., "ratioToPytorch": ...}.
import { parseArgs } from 'node:util';
import type { BackendRequest } from '../../src/pipeline/runtime/backend.js';
import { benchTable } from '../../src/pipeline/runtime/bench/bench-table.js';
import { runEngineBench } from '../../src/pipeline/runtime/bench/engine-bench.js';
import { PYTORCH_UNET_SCRIPT } from '../../src/pipeline/runtime/bench/pytorch-reference.js';

const { values } = parseArgs({
  options: {
    backends: { type: 'string', default: 'tensorflow,webgpu,wasm,cpu' },
    threads: { type: 'string', default: process.env.MADENET_THREADS ?? '1' },
    reps: { type: 'string', default: '10' },
    warmup: { type: 'string', default: '3' },
    seed: { type: 'string', default: '42' },
    json: { type: 'boolean', default: false },
    'no-pytorch': { type: 'boolean', default: false },
    'print-pytorch-script': { type: 'boolean', default: false },
  },
});

if (values['print-pytorch-script']) {
  process.stdout.write(PYTORCH_UNET_SCRIPT);
} else {
  const result = await runEngineBench({
    backends: values.backends.split(',').map((b) => b.trim()) as Exclude<BackendRequest, 'auto'>[],
    threads: Number(values.threads),
    reps: Number(values.reps),
    warmup: Number(values.warmup),
    opBudgetMs: 1000,
    pytorch: !values['no-pytorch'],
    seed: Number(values.seed),
    onProgress: (m) => process.stderr.write(`${m}\n`),
  });
  process.stdout.write(values.json ? `${JSON.stringify(result, null, 2)}\n` : `${benchTable(result)}\n`);
}
// Idle wasm worker threads are unref'ed, but an explicit exit keeps a benchmark from lingering on any handle.
process.exit(0);
