// Runs a block of tensor tests once per backend the product supports here (wasm, then cpu), so that every
// tensor test checks both. Not for choosing backends in product code: that is initRuntime's job.
import { initRuntime } from '../../src/pipeline/runtime/backend.js';

export const TEST_BACKENDS = ['wasm', 'cpu'] as const;

/** Threads for the wasm backend in tests: MADENET_THREADS when set, else 1 (the machines are shared). */
export function testThreads(): number {
  const env = process.env.MADENET_THREADS;
  return env === undefined || env === '' ? 1 : Number(env);
}

/** Starts the runtime on `backend` with `threads` threads (not testThreads: these blocks pin it) before the block's tests. */
export function useBackend(backend: (typeof TEST_BACKENDS)[number], threads = 1): void {
  beforeAll(async () => {
    await initRuntime({ backend, threads });
  });
}

export function describeEachBackend(name: string, fn: (backend: string) => void): void {
  for (const backend of TEST_BACKENDS) {
    describe(`${name} [${backend}]`, () => {
      beforeAll(async () => {
        await initRuntime({ backend, threads: testThreads() });
      });
      fn(backend);
    });
  }
}
