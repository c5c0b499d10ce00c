import * as tf from '@tensorflow/tfjs';
import { isMadenetError } from '../../../src/pipeline/core/errors.js';
import { initRuntime, resolveThreads, runtimeInfo } from '../../../src/pipeline/runtime/backend.js';

describe('initRuntime', () => {
  it('starts wasm when asked, proves it with tf.getBackend(), and registers the gradient kernels', async () => {
    const info = await initRuntime({ backend: 'wasm', threads: 1 });
    expect(info).toMatchObject({ backend: 'wasm', requested: 'wasm', threads: 1, skipped: [] });
    expect(info.tfjsVersion).toBe(tf.version.tfjs);
    expect(info.versions['tfjs-backend-wasm']).toMatch(/^4\.22\./);
    expect(tf.getBackend()).toBe('wasm');
    expect(tf.getKernel('Conv2DBackpropFilter', 'wasm')).toBeDefined();
    expect(runtimeInfo()).toBe(info);
  });

  it('is idempotent: the same options give the same info and re-activate the backend if it was switched', async () => {
    const first = await initRuntime({ backend: 'wasm', threads: 1 });
    await tf.setBackend('cpu');
    const second = await initRuntime({ backend: 'wasm', threads: 1 });
    expect(second).toBe(first);
    expect(tf.getBackend()).toBe('wasm');
  });

  it('auto says which backend it got and why the native ones were skipped', async () => {
    const info = await initRuntime({ backend: 'auto', threads: 1 });
    // tfjs-node is not installable on this machine; where it is, auto must pick it instead.
    const names = info.skipped.map((s) => s.backend);
    if (info.backend === 'wasm') {
      expect(names).toEqual(['tfjs-node-gpu', 'tfjs-node', 'webgpu', 'cpu']);
      expect(info.skipped[0].reason).toMatch(/not installed|failed to load/);
      // No hardware GPU on the machines this runs on: a software adapter, none, or no device nodes at all.
      expect(info.skipped[2].reason).toMatch(/software|no GPU device nodes|adapter|not installed|Vulkan/);
      expect(info.skipped[3].reason).toMatch(/wasm started first/);
    } else {
      expect(info.backend).toBe('tensorflow');
    }
    expect(tf.getBackend()).toBe(info.backend);
  });

  it('cpu runs the pure-JS backend with one thread', async () => {
    const info = await initRuntime({ backend: 'cpu' });
    expect(info).toMatchObject({ backend: 'cpu', threads: 1, simd: false });
    expect(tf.getBackend()).toBe('cpu');
  });

  it('an explicit tensorflow request that cannot load fails with E_BACKEND and says why', async () => {
    let installed = true;
    try {
      await import('@tensorflow/tfjs-node' as string);
    } catch {
      installed = false;
    }
    if (installed) return; // covered by the auto test on machines that have it
    const err = await initRuntime({ backend: 'tensorflow' }).catch((e: unknown) => e);
    expect(isMadenetError(err)).toBe(true);
    expect(err).toMatchObject({ code: 'E_BACKEND' });
    expect((err as Error).message).toMatch(/tfjs-node-gpu: not installed; tfjs-node: not installed/);
  });

  it('rejects an unknown backend and a negative thread count', async () => {
    await expect(initRuntime({ backend: 'metal' as never })).rejects.toMatchObject({ code: 'E_BACKEND' });
    await expect(initRuntime({ backend: 'wasm', threads: -1 })).rejects.toMatchObject({ code: 'E_USAGE' });
  });

  it('0 threads means one per core, capped at the 8 workers the binary has', () => {
    expect(resolveThreads(0)).toBeGreaterThanOrEqual(1);
    expect(resolveThreads(0)).toBeLessThanOrEqual(8);
    expect(resolveThreads(3)).toBe(3);
    expect(resolveThreads(64)).toBe(8);
  });

  it('runs the threaded binary with 2 threads and gets the same numbers as 1 thread', async () => {
    const x = Float32Array.from({ length: 2 * 16 * 16 * 8 }, (_, i) => Math.sin(i));
    const w = Float32Array.from({ length: 3 * 3 * 8 * 8 }, (_, i) => Math.cos(i));
    const conv = async (): Promise<Float32Array> => {
      const y = tf.tidy(() => tf.conv2d(tf.tensor4d(x, [2, 16, 16, 8]), tf.tensor4d(w, [3, 3, 8, 8]), 1, 'same'));
      const v = (await y.data()) as Float32Array;
      y.dispose();
      return v;
    };
    await initRuntime({ backend: 'wasm', threads: 1 });
    const one = await conv();
    const info = await initRuntime({ backend: 'wasm', threads: 2 });
    expect(info.backend).toBe('wasm');
    // Threads either run or fall back to 1 with a reason; never silently.
    if (info.threads === 2) expect(info.threadsNote).toBeUndefined();
    else expect(info.threadsNote).toMatch(/failed|needs SIMD/);
    const two = await conv();
    for (let i = 0; i < one.length; i++) expect(Math.abs(one[i] - two[i])).toBeLessThan(1e-4 * Math.max(1, Math.abs(one[i])));
    await initRuntime({ backend: 'wasm', threads: 1 });
  });
});

describe('threaded wasm loader', () => {
  it('rejects (so that initRuntime falls back to 1 thread) when the threaded binary cannot start', async () => {
    const { threadedFactory, threadedFiles } = await import('../../../src/pipeline/runtime/wasm-loader.js');
    const fs = await import('node:fs');
    const os = await import('node:os');
    const path = await import('node:path');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'madenet-wasm-'));
    const bogus = path.join(dir, 'broken.wasm');
    fs.writeFileSync(bogus, Buffer.from([0, 97, 115, 109, 1, 0, 0, 0, 99])); // a wasm header, then garbage
    try {
      await expect(threadedFactory(2, { ...threadedFiles(), binary: bogus })()).rejects.toThrow();
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
