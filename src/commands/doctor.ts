import { Flags } from '@oclif/core';
import { BaseCommand } from '../pipeline/cli/base-command.js';
import { runtimeFlags, seedFlag } from '../pipeline/cli/flags.js';
import type { BackendRequest } from '../pipeline/runtime/backend.js';
import { benchTable, table } from '../pipeline/runtime/bench/bench-table.js';
import { type DoctorResult, doctor } from '../pipeline/services/doctor.js';

export default class Doctor extends BaseCommand {
  static override summary = 'Show the compute backends, versions and threads, and benchmark them.';
  static override description =
    'Tries every backend (tensorflow native, webgpu, wasm, cpu), says why unavailable ones failed, names the WebGPU adapter, and runs a one-second ' +
    'matmul/conv benchmark on each available one. --bench adds the fixed engine benchmark (operator rates, the ' +
    'reference U-Net training step and inference, submodels) and, when python3 has torch, the same U-Net in PyTorch.';
  static override examples = [
    '<%= config.bin %> doctor',
    '<%= config.bin %> doctor --bench --threads 1',
    '<%= config.bin %> doctor --bench --json',
  ];
  static override flags = {
    ...runtimeFlags,
    ...seedFlag,
    bench: Flags.boolean({ description: 'Run the full engine benchmark (a minute or two).' }),
    reps: Flags.integer({ description: 'Timed U-Net repetitions for --bench (medians are reported).', default: 10, min: 1 }),
    warmup: Flags.integer({ description: 'Untimed warm-up repetitions for --bench.', default: 3, min: 0 }),
    pytorch: Flags.boolean({
      description: 'With --bench, also time the same U-Net in PyTorch when python3 has torch (MADENET_PYTHON picks the interpreter).',
      default: true,
      allowNo: true,
    }),
  };

  async run(): Promise<DoctorResult> {
    const { flags } = await this.parse(Doctor);
    const result = await doctor({
      backend: flags.backend as BackendRequest,
      threads: flags.threads,
      bench: flags.bench,
      seed: flags.seed,
      reps: flags.reps,
      warmup: flags.warmup,
      pytorch: flags.pytorch,
      onProgress: (m) => this.note(m),
    });
    this.render(result);
    return result;
  }

  /** The WebGPU adapter section: which GPU webgpu runs on, or (above, in the backend reasons) why none. */
  private renderWebgpuAdapter(r: DoctorResult): void {
    const a = r.backends.find((b) => b.name === 'webgpu')?.adapter;
    if (a === undefined) return;
    this.say(`WebGPU adapter: ${a.name} (vendor ${a.vendor}, ${a.backend}${a.architecture ? `, ${a.architecture}` : ''})`);
    if (a.software) this.say(`  software adapter: ${a.softwareReason}; --backend auto prefers wasm over it`);
    this.say(`  limits: ${Object.entries(a.limits).map(([k, v]) => `${k} ${v}`).join(', ')}`);
  }

  private render(r: DoctorResult): void {
    const rt = r.runtime;
    this.say(
      `Runtime: ${rt.backend} (requested ${rt.requested}), tfjs ${rt.tfjsVersion}, ${rt.threads} thread${rt.threads === 1 ? '' : 's'}, SIMD ${rt.simd ? 'yes' : 'no'}`,
    );
    if (rt.threadsNote) this.say(`Threads: ${rt.threadsNote}`);
    for (const s of rt.skipped) this.say(`  skipped ${s.backend}: ${s.reason}`);
    this.say(`Host: ${r.host.cpuModel}, ${r.host.cpus} cores, ${r.host.memoryGiB} GiB, Node ${r.host.node} (${r.host.platform}-${r.host.arch})`);
    this.say('');
    this.say(
      table(
        ['backend', 'status', 'threads', 'SIMD', 'matmul GFLOP/s', 'conv GFLOP/s', 'per CPU-second: matmul', 'conv'],
        r.backends.map((b) =>
          b.available
            ? [b.name, 'ok', b.threads, b.simd ? 'yes' : 'no', b.micro?.matmulGflops, b.micro?.convGflops, b.micro?.matmulGflopsCpu, b.micro?.convGflopsCpu]
            : [b.name, 'unavailable', null, null, null, null, null, null],
        ),
      ),
    );
    for (const b of r.backends) {
      if (!b.available) this.say(`  ${b.name}: ${b.reason}`);
      if (b.threadsNote) this.say(`  ${b.name} threads: ${b.threadsNote}`);
    }
    this.renderWebgpuAdapter(r);
    this.say(`Versions: ${Object.entries(rt.versions).map(([k, v]) => `${k} ${v}`).join(', ')}`);
    const ort = r.onnxruntime;
    this.say(
      ort.available
        ? `onnxruntime-node: ${ort.version}, loads; execution providers: ${ort.providers.join(', ')}`
        : `onnxruntime-node: unavailable (${ort.reason})`,
    );
    for (const m of ort.missing) this.say(`  ${m.provider}: ${m.reason}`);
    this.say(`  infer --engine auto: ${ort.engineAuto}${ort.hint ? `; ${ort.hint}` : ''}`);
    if (r.bench) {
      this.say('');
      this.say(benchTable(r.bench));
    }
  }
}
