// The doctor service and command live outside runtime/, but this helper owns them; their tests sit here.
import * as tf from '@tensorflow/tfjs';
import Doctor from '../../../src/commands/doctor.js';
import { doctor } from '../../../src/pipeline/services/doctor.js';

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
    const out = JSON.parse(chunks.join('')) as { runtime: { backend: string; requested: string }; backends: unknown[] };
    expect(out.runtime).toMatchObject({ backend: 'wasm', requested: 'wasm' });
    expect(out.backends).toHaveLength(4);
  });
});
