// `npm run bench:infer`: images/s of each small-preset submodel and the classifier, exported to ONNX, in
// onnxruntime-node (as infer runs it), tfjs wasm and PyTorch (bench/pytorch: the same ONNX graph on torch ops,
// outputs checked against onnxruntime), and of the routed pipeline (classifier + one submodel per image).
// Forward passes only (no decoding or writing); seeded random weights, which do not change the speed.
// Skips with a message (exit 0) when onnxruntime-node, or python3 with torch and onnx, is missing.
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { BENCH_MODELS, buildBenchModel, timePredict, type BenchModel, type BenchPreset } from '../../src/pipeline/engines/bench/onnx-bench.js';
import { onnxClassifierFromBytes, onnxDetectorFromBytes } from '../../src/pipeline/engines/onnx-detector.js';
import { createOrtSession, runOrt, tryLoadOrt } from '../../src/pipeline/engines/onnxruntime.js';
import { encodeModel } from '../../src/pipeline/export/onnx-proto.js';
import { writeNpy } from '../../src/pipeline/io/npy.js';
import { Rng } from '../../src/pipeline/core/random.js';
import { initRuntime } from '../../src/pipeline/runtime/backend.js';
import { PYTORCH_MALLOC_ENV } from '../../src/pipeline/runtime/bench/pytorch-reference.js';
import { fastest, modelTable, parseMix, routedImagesPerSecond, routedTable, SINGLE_MIXES, type EngineTiming, type RoutedModel, type RoutingMix } from './routed.js';

const here = dirname(fileURLToPath(import.meta.url));
const TORCH_SCRIPT = join(here, '..', 'pytorch', 'routed-bench.py');
const ORT = 'onnxruntime';
const TFJS = 'tfjs wasm';

const { values } = parseArgs({
  options: {
    models: { type: 'string', default: BENCH_MODELS.join(',') },
    preset: { type: 'string', default: 'small' },
    batch: { type: 'string', default: '8' },
    threads: { type: 'string', default: '1' },
    reps: { type: 'string', default: '5' },
    warmup: { type: 'string', default: '2' },
    'tfjs-reps': { type: 'string', default: '3' },
    modes: { type: 'string', default: 'eager,fold,jit' },
    mix: { type: 'string', default: 'lpd:0.5,sfad:0.5' },
    python: { type: 'string', default: process.env.MADENET_PYTHON ?? '/usr/bin/python3' },
    'no-default-malloc': { type: 'boolean', default: false },
    'no-tfjs': { type: 'boolean', default: false },
    // tfjs on the webgpu backend and onnxruntime's webgpu provider too (off by default: on a software adapter such
    // as lavapipe one batch of a small model takes minutes, and those figures only show that the path runs).
    webgpu: { type: 'boolean', default: false },
    // Without PyTorch (e.g. a GPU server without torch): onnxruntime and tfjs rows only.
    'no-pytorch': { type: 'boolean', default: false },
    write: { type: 'string' },
    keep: { type: 'boolean', default: false },
    seed: { type: 'string', default: '7' },
  },
});

const say = (m: string): void => void process.stderr.write(`${m}\n`);
const models = values.models.split(',').map((m) => m.trim()) as BenchModel[];
for (const m of models) if (!(BENCH_MODELS as readonly string[]).includes(m)) throw new Error(`Unknown model ${m}; expected ${BENCH_MODELS.join(', ')}.`);
const batch = Number(values.batch);
const threads = Number(values.threads);
const reps = Number(values.reps);
const warmup = Number(values.warmup);
const mix = parseMix(values.mix);

function skip(why: string): never {
  process.stdout.write(`bench:infer skipped: ${why}\n`);
  process.exit(0);
}

const ort = await tryLoadOrt();
if (!('ort' in ort)) skip(`${ort.error} (npm install onnxruntime-node; offline add ONNXRUNTIME_NODE_INSTALL=skip).`);
const noTorch = values['no-pytorch'];
const probe = noTorch ? null : spawnSync(values.python, ['-c', 'import json, torch, onnx, numpy; print(json.dumps({"torch": torch.__version__, "onnx": onnx.__version__}))'], { encoding: 'utf8', timeout: 120_000 });
if (probe?.error) skip(`${values.python} not found (${probe.error.message}); set MADENET_PYTHON or --python (or --no-pytorch).`);
if (probe && probe.status !== 0) skip(`${values.python} cannot import torch and onnx (${probe.stderr.trim().split('\n').pop()}); on Debian: apt install python3-torch python3-onnx (or --no-pytorch).`);
const pyVersions = (probe ? JSON.parse(probe.stdout.trim().split('\n').pop() ?? '{}') : { torch: 'not run', onnx: 'not run' }) as { torch: string; onnx: string };

interface TorchRun {
  malloc: Record<string, string>;
  results: { model: string; mode: string; batch: number; wallMs: number; cpuMs: number; parity: Record<string, { maxAbs: number; scale: number; passed: boolean }>; parityPassed: boolean }[];
}

function runTorch(dir: string, model: BenchModel, tuned: boolean): TorchRun {
  const env: NodeJS.ProcessEnv = { ...process.env, OMP_NUM_THREADS: String(threads), MKL_NUM_THREADS: String(threads) };
  for (const k of Object.keys(PYTORCH_MALLOC_ENV)) delete env[k];
  if (tuned) Object.assign(env, PYTORCH_MALLOC_ENV);
  const args = [TORCH_SCRIPT, '--dir', dir, '--models', model, '--modes', values.modes, '--threads', String(threads), '--reps', String(reps), '--warmup', String(warmup)];
  const r = spawnSync(values.python, args, { encoding: 'utf8', env, timeout: 600_000, maxBuffer: 64 * 2 ** 20 });
  if (r.error || r.status !== 0) throw new Error(`PyTorch run failed (${r.error?.message ?? `exit ${r.status}`}): ${r.stderr.trim().split('\n').slice(-5).join('\n')}`);
  return JSON.parse(r.stdout.trim().split('\n').pop() ?? '') as TorchRun;
}

function maxAbs(a: ArrayLike<number>, b: ArrayLike<number>): { diff: number; scale: number } {
  let diff = 0;
  let scale = 1;
  for (let i = 0; i < a.length; i++) {
    diff = Math.max(diff, Math.abs((a[i] as number) - (b[i] as number)));
    scale = Math.max(scale, Math.abs(b[i] as number));
  }
  return { diff: a.length === b.length ? diff : Infinity, scale };
}

const loadBefore = os.loadavg();
const started = new Date();
const t0 = performance.now();
await initRuntime({ backend: 'wasm', threads });
const dir = await mkdtemp(join(os.tmpdir(), 'madenet-bench-infer-'));
const rows: EngineTiming[] = [];
const parityNotes: string[] = [];
const webgpuNotes: string[] = [];
const rng = new Rng(Number(values.seed));
try {
  for (const model of models) {
    const b = buildBenchModel(model, values.preset as BenchPreset);
    const size = b.size;
    const dims = [batch, size, size, 3];
    const input = Float32Array.from({ length: batch * size * size * 3 }, () => rng.next());
    const bytes = encodeModel(b.graph.toModel({ producerVersion: 'bench' }));
    await writeFile(join(dir, `${model}.onnx`), bytes);
    await writeNpy(join(dir, `${model}.input.npy`), input, dims);
    // Reference outputs for PyTorch's parity check: one session as infer creates it.
    const session = await createOrtSession(bytes, { threads });
    const ref = await runOrt(session, input, dims);
    await session.release();
    for (const [name, t] of Object.entries(ref)) await writeNpy(join(dir, `${model}.${name}.npy`), t.data, t.dims);

    say(`${model}: onnxruntime (${(bytes.byteLength / 2 ** 20).toFixed(1)} MiB ONNX)`);
    const info = { kind: 'srad' as const, category: 'bench', imageSize: size, artifactDir: null };
    const categories = Array.from({ length: 11 }, (_, i) => `c${i}`);
    const runner = model === 'classifier' ? await onnxClassifierFromBytes(bytes, { categories, imageSize: size }, { threads }) : await onnxDetectorFromBytes(bytes, info, { threads });
    const ortTime = await timePredict((x, n) => runner.predictAsync(x, n), input, batch, reps, warmup);
    runner.dispose();
    rows.push({ model, engine: ORT, batch, ...ortTime, parityPassed: true });

    if (!values['no-tfjs']) {
      say(`${model}: tfjs wasm`);
      const out = (await b.tfjs(input, batch)) as Float32Array | { scores: Float32Array; maps: Float32Array };
      const checks = out instanceof Float32Array ? [maxAbs(out, ref.probs?.data ?? [])] : [maxAbs(out.scores, ref.scores?.data ?? []), maxAbs(out.maps, ref.maps?.data ?? [])];
      const passed = checks.every((c) => c.diff <= 1e-4 * c.scale);
      parityNotes.push(`| ${model} | tfjs wasm | ${checks.map((c) => c.diff.toExponential(1)).join(' / ')} | ${passed ? 'yes' : 'NO'} |`);
      const tfjsTime = await timePredict(b.tfjs, input, batch, Number(values['tfjs-reps']), 1);
      rows.push({ model, engine: TFJS, batch, ...tfjsTime, parityPassed: passed });
    }
    b.dispose();
    if (values.webgpu) await benchWebgpu(model, bytes, input, dims, ref, info);

    for (const tuned of noTorch ? [] : values['no-default-malloc'] ? [true] : [true, false]) {
      say(`${model}: PyTorch (${tuned ? 'tuned' : 'default'} malloc), modes ${values.modes}`);
      const r = runTorch(dir, model, tuned);
      for (const x of r.results) {
        const engine = `PyTorch ${x.mode}${tuned ? '' : ', default malloc'}`;
        rows.push({ model, engine, batch: x.batch, wallMs: x.wallMs, cpuMs: x.cpuMs, parityPassed: x.parityPassed });
        if (tuned) parityNotes.push(`| ${model} | PyTorch ${x.mode} | ${Object.values(x.parity).map((p) => p.maxAbs.toExponential(1)).join(' / ')} | ${x.parityPassed ? 'yes' : 'NO'} |`);
      }
    }
  }
} finally {
  if (values.keep) say(`kept the ONNX files and .npy inputs/outputs in ${dir}`);
  else await rm(dir, { recursive: true, force: true });
}
/** tfjs webgpu and onnxruntime webgpu rows for one model, labelled when the adapter is a software one. */
async function benchWebgpu(
  model: BenchModel,
  bytes: Uint8Array,
  input: Float32Array,
  dims: number[],
  ref: Record<string, { data: Float32Array }>,
  info: { kind: 'srad'; category: string; imageSize: number; artifactDir: null },
): Promise<void> {
  const check = (out: Float32Array | { scores: Float32Array; maps: Float32Array }): { text: string; passed: boolean } => {
    const checks = out instanceof Float32Array ? [maxAbs(out, ref.probs?.data ?? [])] : [maxAbs(out.scores, ref.scores?.data ?? []), maxAbs(out.maps, ref.maps?.data ?? [])];
    return { text: checks.map((c) => c.diff.toExponential(1)).join(' / '), passed: checks.every((c) => c.diff <= 1e-4 * c.scale) };
  };
  let rt: Awaited<ReturnType<typeof initRuntime>>;
  try {
    rt = await initRuntime({ backend: 'webgpu' });
  } catch (e) {
    webgpuNotes.push(`tfjs webgpu not run: ${(e as Error).message}`);
    rt = undefined as never;
  }
  const soft = rt?.adapter?.software ?? true;
  const label = (engine: string): string => (soft ? `${engine} (software adapter: correctness only)` : engine);
  const gpuReps = soft ? { reps: 1, warmup: 1 } : { reps, warmup };
  if (rt !== undefined) {
    if (!webgpuNotes.some((n) => n.startsWith('adapter'))) webgpuNotes.push(`adapter: ${rt.adapter?.name} (vendor ${rt.adapter?.vendor}, ${rt.adapter?.backend}${soft ? ', software' : ''})`);
    say(`${model}: tfjs webgpu${soft ? ' (software adapter)' : ''}`);
    // Built on wasm (its ONNX graph reads weights synchronously); tfjs moves the weights to webgpu on first use.
    await initRuntime({ backend: 'wasm', threads });
    const g = buildBenchModel(model, values.preset as BenchPreset);
    await initRuntime({ backend: 'webgpu' });
    try {
      const p = check((await g.tfjs(input, batch)) as Float32Array | { scores: Float32Array; maps: Float32Array });
      parityNotes.push(`| ${model} | tfjs webgpu | ${p.text} | ${p.passed ? 'yes' : 'NO'} |`);
      rows.push({ model, engine: label('tfjs webgpu'), batch, ...(await timePredict(g.tfjs, input, batch, gpuReps.reps, gpuReps.warmup)), parityPassed: p.passed });
    } finally {
      g.dispose();
      await initRuntime({ backend: 'wasm', threads });
    }
  }
  say(`${model}: onnxruntime webgpu`);
  try {
    const categories = Array.from({ length: 11 }, (_, i) => `c${i}`);
    const opts = { threads, executionProvider: 'webgpu' as const };
    const runner = model === 'classifier' ? await onnxClassifierFromBytes(bytes, { categories, imageSize: info.imageSize }, opts) : await onnxDetectorFromBytes(bytes, info, opts);
    try {
      const session = await createOrtSession(bytes, opts);
      const o = await runOrt(session, input, dims);
      const p = check(o.probs ? o.probs.data : { scores: o.scores?.data ?? new Float32Array(), maps: o.maps?.data ?? new Float32Array() });
      await session.release();
      parityNotes.push(`| ${model} | onnxruntime webgpu | ${p.text} | ${p.passed ? 'yes' : 'NO'} |`);
      rows.push({ model, engine: label('onnxruntime webgpu'), batch, ...(await timePredict((x, n) => runner.predictAsync(x, n), input, batch, gpuReps.reps, gpuReps.warmup)), parityPassed: p.passed });
    } finally {
      runner.dispose();
    }
  } catch (e) {
    webgpuNotes.push(`onnxruntime webgpu not run for ${model}: ${(e as Error).message}`);
  }
}

const seconds = (performance.now() - t0) / 1000;
const loadAfter = os.loadavg();

// --- report -------------------------------------------------------------------------------------------
const routedModels: RoutedModel[] = models;
const mixes: RoutingMix[] = [{ ...mix, name: `mix ${mix.name}` }, ...SINGLE_MIXES.filter((m) => Object.keys(m.weights).every((k) => models.includes(k as BenchModel)))];
const torchEngines = [...new Set(rows.map((r) => r.engine).filter((e) => e.startsWith('PyTorch')))];
const perImage = (e: string, m: RoutedModel, time: 'wallMs' | 'cpuMs'): number | null => {
  const r = rows.find((x) => x.engine === e && x.model === m);
  return r ? (1000 * r.batch) / r[time] : null;
};
/** "1.47x (PyTorch jit)": onnxruntime's images/s over the fastest PyTorch configuration's, by one clock. */
const versus = (pick: (engine: string) => number | null): { text: string; ratio: number } | null => {
  const best = fastest(rows, torchEngines, pick);
  const o = pick(ORT);
  return best && o !== null ? { text: `${(o / best.value).toFixed(2)}x (${o.toFixed(1)} vs ${best.value.toFixed(1)} img/s, ${best.engine})`, ratio: o / best.value } : null;
};
const reading: string[] = [];
const line = (what: string, wall: ReturnType<typeof versus>, cpuRatio: ReturnType<typeof versus>, bar: boolean): void => {
  if (!wall || !cpuRatio) return;
  const slower = [wall.ratio < 1 ? 'wall' : '', cpuRatio.ratio < 1 ? 'CPU' : ''].filter(Boolean);
  const verdict = slower.length ? ` — **PyTorch is faster here by ${slower.join(' and ')} time**` : '';
  const barText = bar ? ` The 1.0x bar: ${cpuRatio.ratio >= 1 ? 'met' : '**not met**'} by CPU time, ${wall.ratio >= 1 ? 'met' : '**not met**'} by wall time.` : '';
  reading.push(`- ${what}: onnxruntime / fastest PyTorch = ${cpuRatio.text} by CPU time; ${wall.text} by wall time${verdict}.${barText}`);
};
for (const m of routedModels) line(m, versus((e) => perImage(e, m, 'wallMs')), versus((e) => perImage(e, m, 'cpuMs')), false);
for (const x of mixes) line(`routed, ${x.name}`, versus((e) => routedImagesPerSecond(rows, e, x)), versus((e) => routedImagesPerSecond(rows, e, x, 'cpuMs')), true);
const contention = rows.reduce((a, r) => a + r.wallMs, 0) / rows.reduce((a, r) => a + r.cpuMs, 0);
const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
const argv = process.argv.slice(2).join(' ');
const md = `# Inference throughput: onnxruntime vs tfjs wasm vs PyTorch, per model and routed

Generated by \`bench/infer/run.ts\` on ${started.toISOString()} in ${seconds.toFixed(0)} s (a real run; re-run to refresh).

- Machine: ${os.cpus().length} x ${cpu}, shared with other jobs: load average ${loadBefore.map((v) => v.toFixed(2)).join(' ')} before, ${loadAfter.map((v) => v.toFixed(2)).join(' ')} after (1/5/15 min); process niceness ${os.getPriority()}.
- Versions: Node ${process.versions.node}, onnxruntime-node ${ort.ort.env.versions.node ?? '?'}, tfjs wasm backend, PyTorch ${pyVersions.torch} (${values.python}), onnx ${pyVersions.onnx}.
- Models: the ${values.preset} preset of ${models.join(', ')} with seeded random weights (speed does not depend on trained values), exported with madenet's ONNX exporter; batch ${batch}, ${threads} thread(s) everywhere (onnxruntime intra-op threads without spinning, as infer creates sessions; tfjs wasm; \`torch.set_num_threads(${threads})\`).
${values.webgpu ? `- WebGPU: ${webgpuNotes.join('; ') || 'ran'}. No GPU was lent to this project's runs: on a software adapter the webgpu rows only show that the path runs and agrees (1 warm-up, 1 timed pass); they are not GPU speed.\n` : ''}- Timing: median of ${reps} forward passes after ${warmup} warm-up passes (tfjs: ${values['tfjs-reps']} after 1; PyTorch jit: 2 extra warm-ups), input in and scores/maps (classifier: probabilities) out as arrays. Forward passes only: infer's decoding, resizing and writing are not included.
- PyTorch runs the same ONNX graph with torch operators (bench/pytorch/onnx_torch.py) under \`torch.inference_mode()\`: **eager** = one torch call per ONNX node, batch norm separate; **fold** = batch norms folded into the preceding convolutions at load (the usual PyTorch inference rewrite); **jit** = fold + \`torch.jit.trace\`/\`freeze\`/\`optimize_for_inference\`. "tuned malloc" = ${Object.entries(PYTORCH_MALLOC_ENV).map(([k, v]) => `${k}=${v}`).join(' ')} (engine-notes.md); the PyTorch rows without a suffix use it.

## Per model: images/s (median ms per batch: wall / process CPU)

${modelTable(rows, routedModels)}

## Routed pipeline: images/s of classifier + one submodel per image

Per image: (t_classifier + sum over submodels of share x t_submodel) / batch, from the per-model medians above;
wall-time figure first, process-CPU-time figure in parentheses. "${mix.name}" is the demo's chosen mix (quick plan: LPD
for BGA and SOIC, SFAD for QFN and CAPACITOR; the images that fall below the classifier's confidence go to the SFAD
fallback, which shifts it slightly towards SFAD); the other columns route every image to one submodel.

${routedTable(rows, mixes)}

## Reading (computed from the tables)

"Fastest PyTorch" is the best of the ${torchEngines.length} PyTorch configurations for each line separately, which
favours PyTorch on a noisy machine. Every engine here is single-threaded, so process CPU time is the work done;
wall time adds the time spent waiting for a core. In this run the summed wall time was ${contention.toFixed(2)}x the
summed CPU time${contention > 1.15 ? ' (the load average above on 2 cores), so the CPU-time ratios are the ones to trust' : ', so the machine had a core free most of the time and both clocks tell the same story'}.

${reading.join('\n')}

## Output parity against onnxruntime (max |difference|: scores / maps, or probabilities; passes at 1e-4 x max(1, max|ort|))

| model | engine | max abs diff | passed |
|---|---|---|---|
${parityNotes.join('\n')}

## Commands

\`\`\`sh
# wired as: "bench:infer": "node --import tsx bench/infer/run.ts"
nice -n 10 node --import tsx bench/infer/run.ts ${argv}
# one model's PyTorch side alone (DIR: a run's .onnx/.npy files, kept with --keep):
MALLOC_MMAP_THRESHOLD_=33554432 MALLOC_TRIM_THRESHOLD_=100000000000 MALLOC_TOP_PAD_=1000000000 \\
  /usr/bin/python3 bench/pytorch/routed-bench.py --dir DIR --models sfad --modes eager,fold,jit --threads 1
\`\`\`
`;
process.stdout.write(`${md}\n`);
if (values.write) {
  await writeFile(resolve(values.write), md);
  say(`wrote ${resolve(values.write)}`);
}
// Idle wasm worker threads are unref'ed, but an explicit exit keeps a benchmark from lingering on any handle.
process.exit(0);
