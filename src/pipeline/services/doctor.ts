// `madenet doctor`: which compute backends load here and why the others do not, versions, threads, a quick
// GFLOP/s figure per backend, and on request the full engine benchmark. Knows nothing of flags or printing.
import os from 'node:os';
import { type BackendRequest, type RuntimeInfo, initRuntime } from '../runtime/backend.js';
import type { WebgpuAdapter } from '../runtime/webgpu/adapter.js';
import { type EngineBenchResult, runEngineBench } from '../runtime/bench/engine-bench.js';
import { microBench } from '../runtime/bench/op-bench.js';
import { type OnnxruntimeReport, onnxruntimeReport } from '../engines/onnxruntime-report.js';

export interface DoctorOptions {
  backend: BackendRequest;
  threads: number;
  bench: boolean;
  seed: number;
  /** Timed U-Net repetitions for --bench. */
  reps?: number;
  warmup?: number;
  pytorch?: boolean;
  /** Milliseconds of the quick per-backend benchmark. */
  microMs?: number;
  onProgress?: (message: string) => void;
}

export interface BackendReport {
  name: 'tensorflow' | 'webgpu' | 'wasm' | 'cpu';
  available: boolean;
  /** Why it is unavailable. */
  reason?: string;
  threads?: number;
  simd?: boolean;
  nativePackage?: string;
  threadsNote?: string;
  /** webgpu: the adapter it runs on (name, vendor, Dawn backend, limits; software adapters are marked). */
  adapter?: WebgpuAdapter;
  /** About one second of matmul 512^3 and conv [4,64,64,32]x[3,3,32,32]. */
  /** Wall-time rates, and CPU-time rates (per core: robust on a loaded machine, low with several threads). */
  micro?: { matmulGflops: number; convGflops: number; matmulGflopsCpu: number; convGflopsCpu: number };
}

export interface DoctorResult {
  /** The backend the product will use with these options (what --backend/--threads select). */
  runtime: RuntimeInfo;
  backends: BackendReport[];
  host: { platform: string; arch: string; cpus: number; cpuModel: string; node: string; memoryGiB: number };
  /** The optional inference engine `infer --engine auto` uses for exported models. */
  onnxruntime: OnnxruntimeReport;
  bench?: EngineBenchResult;
}

const ALL: BackendReport['name'][] = ['tensorflow', 'webgpu', 'wasm', 'cpu'];

export async function doctor(opts: DoctorOptions): Promise<DoctorResult> {
  const say = opts.onProgress ?? (() => undefined);
  const backends: BackendReport[] = [];
  for (const name of ALL) {
    let info: RuntimeInfo;
    try {
      info = await initRuntime({ backend: name, threads: opts.threads });
    } catch (e) {
      backends.push({ name, available: false, reason: (e as Error).message });
      continue;
    }
    say(`measuring ${name}`);
    const m = await microBench(opts.microMs ?? 1000, opts.seed);
    backends.push({
      name,
      available: true,
      threads: info.threads,
      simd: info.simd,
      ...(info.nativePackage ? { nativePackage: info.nativePackage } : {}),
      ...(info.threadsNote ? { threadsNote: info.threadsNote } : {}),
      ...(info.adapter ? { adapter: info.adapter } : {}),
      micro: {
        matmulGflops: m.matmul.gflops,
        convGflops: m.conv.gflops,
        matmulGflopsCpu: m.matmul.gflopsCpu,
        convGflopsCpu: m.conv.gflopsCpu,
      },
    });
  }
  const onnxruntime = await onnxruntimeReport();
  let bench: EngineBenchResult | undefined;
  if (opts.bench) {
    bench = await runEngineBench({
      backends: backends.filter((b) => b.available).map((b) => b.name),
      threads: opts.threads,
      reps: opts.reps ?? 10,
      warmup: opts.warmup ?? 3,
      opBudgetMs: 1000,
      pytorch: opts.pytorch ?? true,
      seed: opts.seed,
      onProgress: say,
    });
  }
  // Last, so that the process is left on the backend these options select.
  const runtime = await initRuntime({ backend: opts.backend, threads: opts.threads });
  const cpus = os.cpus();
  return {
    runtime,
    backends,
    host: {
      platform: process.platform,
      arch: process.arch,
      cpus: os.availableParallelism(),
      cpuModel: cpus[0]?.model.trim() ?? 'unknown',
      node: process.versions.node,
      memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    },
    onnxruntime,
    ...(bench ? { bench } : {}),
  };
}
