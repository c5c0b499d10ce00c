// The doctor service and command live outside runtime/, but this helper owns them; their tests sit here.
import * as tf from '@tensorflow/tfjs';
import Doctor from '../../../src/commands/doctor.js';
import { createRequire } from 'node:module';
import { doctor } from '../../../src/pipeline/services/doctor.js';
import { pytorchThreads } from '../../../src/pipeline/runtime/bench/engine-bench.js';
import { runPytorchUnet } from '../../../src/pipeline/runtime/bench/pytorch-reference.js';

/** The installed onnxruntime-node's version, or null when the optional package is absent. */
function installedOrtVersion(): string | null {
  try {
    return (createRequire(import.meta.url)('onnxruntime-node/package.json') as { version: string }).version;
  } catch {
    return null;
  }
}

describe('doctor service', () => {
  it('reports every backend, why tensorflow is unavailable, quick GFLOP/s, and leaves the requested backend on', async () => {
    const r = await doctor({ backend: 'cpu', threads: 1, bench: false, seed: 1, microMs: 60 });
    expect(r.backends.map((b) => b.name)).toEqual(['tensorflow', 'webgpu', 'wasm', 'cpu']);
    const [native, webgpu, wasm, cpu] = r.backends;
    // webgpu is listed either way: with its adapter, or with why there is none.
    if (webgpu.available) expect(webgpu.adapter).toMatchObject({ backend: expect.any(String), name: expect.any(String) });
    else expect(webgpu.reason).toMatch(/webgpu/);
    if (!native.available) expect(native.reason).toMatch(/tfjs-node-gpu: not installed; tfjs-node: not installed/);
    expect(wasm).toMatchObject({ available: true, threads: 1, simd: true });
    expect(wasm.micro!.matmulGflops).toBeGreaterThan(0);
    expect(wasm.micro!.convGflopsCpu).toBeGreaterThan(0);
    expect(cpu).toMatchObject({ available: true, threads: 1 });
    expect(r.runtime).toMatchObject({ backend: 'cpu', requested: 'cpu' });
    expect(tf.getBackend()).toBe('cpu');
    expect(r.host.cpus).toBeGreaterThan(0);
    expect(r.bench).toBeUndefined();
  });

  it('says whether onnxruntime-node is installed and loads, its version and providers, and what --engine auto does', async () => {
    const r = await doctor({ backend: 'cpu', threads: 1, bench: false, seed: 1, microMs: 20 });
    const version = installedOrtVersion();
    if (version === null) {
      expect(r.onnxruntime).toMatchObject({ available: false, version: null, providers: [], reason: expect.stringMatching(/not installed|failed to load/) });
      expect(r.onnxruntime.engineAuto).toMatch(/^tfjs/);
    } else {
      expect(r.onnxruntime).toMatchObject({ available: true, version });
      expect(r.onnxruntime.providers[0]).toBe('cpu');
      expect(r.onnxruntime.engineAuto).toMatch(/^onnxruntime for artifacts with a parity-checked ONNX export/);
      // Installed with ONNXRUNTIME_NODE_INSTALL=skip (the project default): cuda is compiled in but its libraries are absent.
      if (!r.onnxruntime.providers.includes('cuda')) expect(r.onnxruntime.hint).toContain('ONNXRUNTIME_NODE_INSTALL=cuda12');
    }
  });
});

describe('doctor --bench: the PyTorch twin', () => {
  it('runs PyTorch with the thread count tfjs resolved --threads 0 to, never 0 (torch.set_num_threads refuses it)', () => {
    expect(pytorchThreads(0, [{ threads: 2 }, { threads: 1 }])).toBe(2);
    expect(pytorchThreads(3, [{ threads: 2 }])).toBe(3);
    expect(pytorchThreads(0, [])).toBeGreaterThanOrEqual(1);
  });

  it('reports a bad thread count as a reason instead of starting python', () => {
    expect(runPytorchUnet({ python: 'python3', threads: 0, reps: 1, warmup: 0 })).toEqual({ ok: false, reason: 'PyTorch needs a positive thread count; got 0' });
  });
});

describe('madenet doctor --json', () => {
  it('prints one JSON document with the runtime and the backends', async () => {
    const chunks: string[] = [];
    const write = process.stdout.write.bind(process.stdout);
    process.stdout.write = ((c: string | Uint8Array) => {
      chunks.push(String(c));
      return true;
    }) as typeof process.stdout.write;
    try {
      await Doctor.run(['--json', '--backend', 'wasm', '--threads', '1'], process.cwd());
    } finally {
      process.stdout.write = write;
    }
    const out = JSON.parse(chunks.join('')) as { runtime: { backend: string; requested: string }; backends: unknown[]; onnxruntime: { available: boolean } };
    expect(out.runtime).toMatchObject({ backend: 'wasm', requested: 'wasm' });
    expect(out.onnxruntime.available).toBe(installedOrtVersion() !== null);
    expect(out.backends).toHaveLength(4);
  });
});
