// Creates the tfjs wasm backend from node_modules, single-threaded (the stock SIMD binary) or multi-threaded
// (the threaded SIMD binary, which tfjs 4.22 never loads in Node). Does not choose between backends.
import * as tf from '@tensorflow/tfjs';
import { BackendWasm, getThreadsCount, setThreadsCount, setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import type { WasmModule, WorkerLike } from './wasm-internals.js';

const require = createRequire(import.meta.url);

/** XNNPACK's pool in the 4.22 binary never exceeds the 8 pre-spawned workers. */
export const MAX_WASM_THREADS = 8;
const THREADED_INIT_TIMEOUT_MS = 20_000;

export function wasmPackageDir(): string {
  return path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json'));
}

/** Where the stock loader finds its .wasm files: next to the Node bundle in dist/. */
export function wasmDistDir(): string {
  return path.join(wasmPackageDir(), 'dist') + path.sep;
}

let pathsSet = false;
/** Pins the binaries to node_modules, so a bundled or relocated entry point still finds them. */
export function pinWasmPaths(): void {
  if (pathsSet) return;
  setWasmPaths(wasmDistDir());
  pathsSet = true;
}

export async function wasmSimdSupported(): Promise<boolean> {
  return Boolean(await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT'));
}

/** A backend factory for tf.registerBackend; `threads` > 1 selects the threaded binary. */
export type WasmFactory = () => Promise<tf.KernelBackend>;

export function singleThreadFactory(stock: WasmFactory): WasmFactory {
  return async () => {
    pinWasmPaths();
    setThreadsCount(1);
    return stock();
  };
}

/** Where the threaded build lives; tests point `binary` elsewhere to exercise the fall-back. */
export interface ThreadedFiles {
  mainScript: string;
  binary: string;
  workerContents: string;
}

export function threadedFiles(): ThreadedFiles {
  const outDir = path.join(wasmPackageDir(), 'wasm-out');
  return {
    mainScript: path.join(outDir, 'tfjs-backend-wasm-threaded-simd.js'),
    binary: path.join(outDir, 'tfjs-backend-wasm-threaded-simd.wasm'),
    workerContents: path.join(outDir, 'tfjs-backend-wasm-threaded-simd.worker.js'),
  };
}

export function threadedFactory(threads: number, files: ThreadedFiles = threadedFiles()): WasmFactory {
  return async () => {
    const module = await loadThreadedModule(threads, files);
    setThreadsCount(threads);
    const backend = new BackendWasm(module as never) as unknown as tf.KernelBackend;
    // pthread workers are ref'ed while they run; idle pool threads must not keep the process alive.
    for (const w of allWorkers(module)) w.unref?.();
    return backend;
  };
}

export function wasmThreadsInUse(): number {
  return getThreadsCount();
}

function allWorkers(module: WasmModule): WorkerLike[] {
  const p = module.PThread;
  return p === undefined ? [] : [...p.runningWorkers, ...p.unusedWorkers];
}

interface WasmInstantiateResult {
  instance: unknown;
  module: unknown;
}
interface ThreadedConfig {
  locateFile(file: string, prefix: string): string;
  mainScriptUrlOrBlob: string;
  instantiateWasm(info: { env: Record<string, unknown> }, receive: (instance: unknown, module: unknown) => void): object;
  PThread?: WasmModule['PThread'];
}

/**
 * tfjs hands the pthread workers Blob URLs, which worker_threads cannot load: here the worker script is a real
 * file and the main script a path. The core count the binary sees is set to 2 * threads because its C++ caps
 * the pool at half the logical cores (and that is read once, when the module is instantiated).
 */
async function loadThreadedModule(threads: number, files: ThreadedFiles): Promise<WasmModule> {
  const { mainScript, binary: binaryPath } = files;
  const factory = require(mainScript) as (config: ThreadedConfig) => Promise<WasmModule>;
  const { wasmWorkerContents } = require(files.workerContents) as { wasmWorkerContents: string };
  const workerFile = writeWorkerFile(wasmWorkerContents);
  const binary = fs.readFileSync(binaryPath);
  const WA = (globalThis as unknown as { WebAssembly: { instantiate(b: Uint8Array, i: object): Promise<WasmInstantiateResult> } })
    .WebAssembly;
  let failInstantiate: (e: unknown) => void = () => undefined;
  const instantiateFailed = new Promise<never>((_, reject) => {
    failInstantiate = reject;
  });
  const config: ThreadedConfig = {
    locateFile: (file, prefix) =>
      file.endsWith('.worker.js') ? workerFile : file.endsWith('.wasm') ? binaryPath : prefix + file,
    mainScriptUrlOrBlob: mainScript,
    instantiateWasm: (info, receive) => {
      if (typeof info.env.emscripten_num_logical_cores !== 'function') {
        failInstantiate(new Error('the threaded binary does not import emscripten_num_logical_cores'));
        return {};
      }
      info.env.emscripten_num_logical_cores = () => 2 * threads;
      WA.instantiate(binary, info).then((r) => receive(r.instance, r.module), failInstantiate);
      return {};
    },
  };
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`the threaded wasm binary did not start within ${THREADED_INIT_TIMEOUT_MS / 1000} s`)),
      THREADED_INIT_TIMEOUT_MS,
    );
  });
  try {
    const module = await Promise.race([factory(config), instantiateFailed, timeout]);
    if (typeof module.cwrap !== 'function') throw new Error('the threaded module has no cwrap');
    module.tfjs = {
      init: module.cwrap('init', null, []),
      initWithThreadsCount: module.cwrap('init_with_threads_count', null, ['number']),
      getThreadsCount: module.cwrap('get_threads_count', 'number', []),
      registerTensor: module.cwrap('register_tensor', null, ['number', 'number', 'number']),
      disposeData: module.cwrap('dispose_data', null, ['number']),
      dispose: module.cwrap('dispose', null, []),
    } as WasmModule['tfjs'];
    return module;
  } catch (err) {
    config.PThread?.terminateAllThreads();
    throw err;
  } finally {
    clearTimeout(timer);
  }
}

/** Content-addressed, so concurrent processes share one file and a stale one is never half-written. */
function writeWorkerFile(contents: string): string {
  // The script is embedded in a template string; its "\n" escapes became real newlines (tfjs does the same).
  const script = contents.replace(/\n/g, '\\n');
  const hash = createHash('sha256').update(script).digest('hex').slice(0, 16);
  const file = path.join(os.tmpdir(), `madenet-tfjs-wasm-worker-${hash}.cjs`);
  if (!fs.existsSync(file)) {
    const tmp = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, script);
    fs.renameSync(tmp, file);
  }
  return file;
}
