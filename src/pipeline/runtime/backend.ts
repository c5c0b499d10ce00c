// Chooses and starts the TensorFlow.js backend (tensorflow native, webgpu, wasm, cpu), verifies it is the one
// running, and records what was chosen and why. The one place that calls tf.setBackend for the product.
import * as tf from '@tensorflow/tfjs';
import { version_wasm } from '@tensorflow/tfjs-backend-wasm';
import os from 'node:os';
import { MadenetError } from '../core/errors.js';
import { registerBatchNormGradient } from './batch-norm-grad.js';
import { registerCpuKernelFixes, registerWasmKernels } from './kernels/index.js';
import {
  MAX_WASM_THREADS,
  type WasmFactory,
  singleThreadFactory,
  threadedFactory,
  wasmSimdSupported,
  wasmThreadsInUse,
} from './wasm-loader.js';
import { NO_ADAPTER_SUGGESTIONS, type WebgpuAdapter } from './webgpu/adapter.js';
import { gpuDeviceNodes } from './webgpu/dawn.js';
import { registerWebgpuBackend, webgpuBackendVersion } from './webgpu/tfjs-webgpu.js';

export type BackendRequest = 'auto' | 'tensorflow' | 'webgpu' | 'wasm' | 'cpu';
export const BACKEND_REQUESTS: readonly BackendRequest[] = ['auto', 'tensorflow', 'webgpu', 'wasm', 'cpu'];
/** What `auto` tries, in order (webgpu only on a hardware adapter: see startWebgpu). */
export const AUTO_ORDER: readonly Exclude<BackendRequest, 'auto'>[] = ['tensorflow', 'webgpu', 'wasm', 'cpu'];

export interface RuntimeOptions {
  backend?: BackendRequest;
  /** Compute threads for wasm; 0 or undefined = one per core (at most 8). Ignored by cpu. */
  threads?: number;
}

export interface RuntimeInfo {
  /** The tf.getBackend() name actually running: 'tensorflow', 'webgpu', 'wasm' or 'cpu'. */
  backend: string;
  requested: string;
  tfjsVersion: string;
  threads: number;
  simd: boolean;
  /** Backends tried before (or ranked below) the chosen one, and why each was not used. */
  skipped: { backend: string; reason: string }[];
  /** The native package behind 'tensorflow' (tfjs-node-gpu or tfjs-node). */
  nativePackage?: string;
  /** The GPU behind 'webgpu' (name, vendor, Dawn backend, limits, software or not). */
  adapter?: WebgpuAdapter;
  /** Why fewer threads run than were asked for (e.g. the threaded binary failed to start). */
  threadsNote?: string;
  /** tf.version plus the wasm backend and Node versions, for artifact manifests. */
  versions: Record<string, string>;
}

const NATIVE_PACKAGES = ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node'] as const;

let current: { key: string; info: RuntimeInfo } | undefined;
let inflight: { key: string; promise: Promise<RuntimeInfo> } | undefined;
let stockWasmFactory: WasmFactory | undefined;
let wasmThreadsLoaded: number | undefined;

/** The runtime chosen by the last successful initRuntime call, if any. */
export function runtimeInfo(): RuntimeInfo | undefined {
  return current?.info;
}

/**
 * Starts the requested backend (idempotent: the same options return the same info). Switching the wasm
 * thread count restarts the wasm backend, which invalidates tensors that live on it.
 */
export async function initRuntime(opts: RuntimeOptions = {}): Promise<RuntimeInfo> {
  const requested = opts.backend ?? 'auto';
  if (!BACKEND_REQUESTS.includes(requested)) {
    throw new MadenetError('E_BACKEND', `Unknown backend: ${String(requested)}; expected one of ${BACKEND_REQUESTS.join(', ')}.`);
  }
  const threads = resolveThreads(opts.threads);
  const key = `${requested}|${threads}`;
  if (current?.key === key) {
    if (tf.getBackend() !== current.info.backend) await activate(current.info.backend);
    return current.info;
  }
  if (inflight?.key === key) return inflight.promise;
  const promise = select(requested, threads).finally(() => {
    if (inflight?.promise === promise) inflight = undefined;
  });
  inflight = { key, promise };
  const info = await promise;
  current = { key, info };
  return info;
}

/** 0/undefined -> one per core; clamped to what the wasm binary can run. */
export function resolveThreads(threads: number | undefined): number {
  if (threads !== undefined && (!Number.isInteger(threads) || threads < 0)) {
    throw new MadenetError('E_USAGE', `Invalid thread count: ${threads}; expected 0 (one per core) or a positive integer.`);
  }
  const wanted = threads === undefined || threads === 0 ? os.availableParallelism() : threads;
  return Math.max(1, Math.min(MAX_WASM_THREADS, wanted));
}

async function select(requested: BackendRequest, threads: number): Promise<RuntimeInfo> {
  registerBatchNormGradient();
  const skipped: RuntimeInfo['skipped'] = [];
  const order: readonly Exclude<BackendRequest, 'auto'>[] = requested === 'auto' ? AUTO_ORDER : [requested];
  for (const [i, name] of order.entries()) {
    const attempt = await tryStart(name, threads, requested === 'auto');
    if ('info' in attempt) {
      const lower = order.slice(i + 1).map((b) => ({ backend: b, reason: `not tried: ${attempt.info.backend} started first` }));
      return { ...attempt.info, requested, skipped: [...skipped, ...attempt.skipped, ...lower] };
    }
    skipped.push(...attempt.skipped);
  }
  const reasons = skipped.map((s) => `${s.backend}: ${s.reason}`).join('; ');
  throw new MadenetError('E_BACKEND', `Could not start the ${requested} backend (${reasons}).`, {
    suggestions: suggestionsFor(requested),
  });
}

type Attempt =
  | { info: Omit<RuntimeInfo, 'requested' | 'skipped'>; skipped: RuntimeInfo['skipped'] }
  | { skipped: RuntimeInfo['skipped'] };

async function tryStart(name: Exclude<BackendRequest, 'auto'>, threads: number, auto: boolean): Promise<Attempt> {
  if (name === 'tensorflow') return startTensorflow();
  if (name === 'webgpu') return startWebgpu(auto);
  if (name === 'wasm') return startWasm(threads);
  registerCpuKernelFixes();
  const failure = await activate('cpu').then(
    () => undefined,
    (e: unknown) => message(e),
  );
  if (failure !== undefined) return { skipped: [{ backend: 'cpu', reason: failure }] };
  // The cpu backend prints an "install tfjs-node" banner on first use; madenet reports the choice itself.
  (tf.backend() as unknown as { firstUse?: boolean }).firstUse = false;
  return { info: { backend: 'cpu', tfjsVersion: tf.version.tfjs, threads: 1, simd: false, versions: versions() }, skipped: [] };
}

async function startTensorflow(): Promise<Attempt> {
  const skipped: RuntimeInfo['skipped'] = [];
  for (const pkg of NATIVE_PACKAGES) {
    const label = pkg.replace('@tensorflow/', '');
    try {
      // A variable specifier: the packages are optional and absent at type-check time.
      const specifier: string = pkg;
      await import(specifier);
    } catch (e) {
      skipped.push({ backend: label, reason: notInstalled(e) ? 'not installed' : `failed to load: ${message(e)}` });
      continue;
    }
    if (tf.findBackendFactory('tensorflow') === null) {
      skipped.push({ backend: label, reason: 'loaded, but registered no tensorflow backend with this copy of tfjs' });
      continue;
    }
    try {
      await activate('tensorflow');
    } catch (e) {
      skipped.push({ backend: label, reason: message(e) });
      continue;
    }
    return {
      info: {
        backend: 'tensorflow',
        tfjsVersion: tf.version.tfjs,
        // libtensorflow sizes its own intra-op pool to the machine.
        threads: os.availableParallelism(),
        simd: true,
        nativePackage: pkg,
        versions: versions(),
      },
      skipped,
    };
  }
  return { skipped };
}

/**
 * tfjs-backend-webgpu on Dawn's adapter. Under `auto` a software adapter (Mesa lavapipe and the like) is
 * skipped: it runs on the CPU ~60x slower than wasm; an explicit --backend webgpu still gets it.
 */
async function startWebgpu(auto: boolean): Promise<Attempt> {
  const nodes = gpuDeviceNodes();
  if (auto && nodes !== null && nodes.length === 0) {
    return {
      skipped: [{ backend: 'webgpu', reason: 'no GPU device nodes (/dev/dri, /dev/nvidia*, /dev/dxg): any adapter here would be a software one, slower than wasm; --backend webgpu uses it anyway' }],
    };
  }
  let dawn: Awaited<ReturnType<typeof registerWebgpuBackend>>;
  try {
    dawn = await registerWebgpuBackend();
  } catch (e) {
    return { skipped: [{ backend: 'webgpu', reason: message(e) }] };
  }
  if (!('device' in dawn)) return { skipped: [{ backend: 'webgpu', reason: dawn.reason }] };
  const { adapter } = dawn;
  if (auto && adapter.software) {
    return {
      skipped: [{
        backend: 'webgpu',
        reason: `the only adapter, ${adapter.name}, is a software one (${adapter.softwareReason}), slower than wasm; --backend webgpu uses it anyway`,
      }],
    };
  }
  try {
    await activate('webgpu');
  } catch (e) {
    return { skipped: [{ backend: 'webgpu', reason: message(e) }] };
  }
  return {
    info: {
      backend: 'webgpu',
      tfjsVersion: tf.version.tfjs,
      // The GPU does the arithmetic; JS glue runs on the main thread.
      threads: 1,
      simd: false,
      adapter,
      versions: { ...versions(), 'tfjs-backend-webgpu': webgpuBackendVersion(), webgpu: dawn.version },
    },
    skipped: [],
  };
}

async function startWasm(threads: number): Promise<Attempt> {
  stockWasmFactory ??= (tf.findBackendFactory('wasm') as WasmFactory | null) ?? undefined;
  if (stockWasmFactory === undefined) return { skipped: [{ backend: 'wasm', reason: 'the wasm backend is not registered' }] };
  try {
    registerWasmKernels();
  } catch (e) {
    return { skipped: [{ backend: 'wasm', reason: message(e) }] };
  }
  const simd = await wasmSimdSupported();
  let threadsNote: string | undefined;
  if (threads > 1 && !simd) threadsNote = 'the threaded wasm binary needs SIMD, which this runtime lacks';
  const wantThreads = simd ? threads : 1;
  try {
    await startWasmWith(wantThreads);
  } catch (e) {
    if (wantThreads === 1) return { skipped: [{ backend: 'wasm', reason: message(e) }] };
    threadsNote = `${wantThreads} threads failed (${message(e)}); running on 1`;
    try {
      await startWasmWith(1);
    } catch (e2) {
      return { skipped: [{ backend: 'wasm', reason: message(e2) }] };
    }
  }
  const inUse = wasmThreadsInUse();
  if (threadsNote === undefined && inUse !== wantThreads) threadsNote = `asked for ${wantThreads} threads, the binary runs ${inUse}`;
  return {
    info: {
      backend: 'wasm',
      tfjsVersion: tf.version.tfjs,
      threads: inUse,
      simd,
      ...(threadsNote === undefined ? {} : { threadsNote }),
      versions: versions(),
    },
    skipped: [],
  };
}

/** (Re)registers the wasm factory for `threads` and starts it; a running wasm backend with another count is replaced. */
async function startWasmWith(threads: number): Promise<void> {
  if (wasmThreadsLoaded !== threads) {
    tf.removeBackend('wasm');
    const factory = threads === 1 ? singleThreadFactory(stockWasmFactory as WasmFactory) : threadedFactory(threads);
    tf.registerBackend('wasm', capturing(factory), 2);
    wasmThreadsLoaded = threads;
  }
  try {
    await activate('wasm');
  } catch (e) {
    tf.removeBackend('wasm');
    wasmThreadsLoaded = undefined;
    throw e;
  }
}

let lastFactoryError: unknown;
/** tf.setBackend swallows factory errors into a console warning; keep the error to report it. */
function capturing(factory: WasmFactory): WasmFactory {
  return async () => {
    try {
      return await factory();
    } catch (e) {
      lastFactoryError = e;
      throw e;
    }
  };
}

/**
 * Runs `fn` with the cpu backend active and then returns to the running backend. For work that reads tensors
 * synchronously by design and does little arithmetic (ONNX graph conversion reads every weight with dataSync),
 * which a GPU backend cannot serve: webgpu reads GPU data only asynchronously and drops CPU copies on upload.
 */
export async function onCpuBackend<T>(fn: () => Promise<T>): Promise<T> {
  const back = tf.getBackend();
  registerCpuKernelFixes();
  await activate('cpu');
  (tf.backend() as unknown as { firstUse?: boolean }).firstUse = false;
  try {
    return await fn();
  } finally {
    await activate(back);
  }
}

/** tf.setBackend, then proof that it is the one running (a silent fall-back would be a bug). */
async function activate(name: string): Promise<void> {
  lastFactoryError = undefined;
  const warn = console.warn;
  // tfjs prints init failures as warnings; they are reported through `skipped` or E_BACKEND instead.
  console.warn = () => undefined;
  let ok: boolean;
  try {
    ok = await tf.setBackend(name);
    await tf.ready();
  } finally {
    console.warn = warn;
  }
  if (!ok) throw new Error(lastFactoryError === undefined ? `tf.setBackend('${name}') failed` : message(lastFactoryError));
  if (tf.getBackend() !== name) throw new Error(`asked for ${name}, but tfjs runs ${tf.getBackend()}`);
}

function versions(): Record<string, string> {
  const v: Record<string, string> = {};
  for (const [k, val] of Object.entries(tf.version)) if (typeof val === 'string') v[k] = val;
  v['tfjs-backend-wasm'] = version_wasm;
  v.node = process.versions.node;
  return v;
}

function notInstalled(e: unknown): boolean {
  const code = (e as { code?: string }).code;
  return code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND';
}

function message(e: unknown): string {
  if (e instanceof Error) return e.message;
  if (typeof e === 'object' && e !== null && 'message' in e) return String((e as { message: unknown }).message);
  return String(e);
}

function suggestionsFor(requested: BackendRequest): string[] {
  if (requested === 'webgpu') {
    return [
      'If the webgpu package is missing: npm install webgpu@~0.6.2 (an optional dependency with prebuilt binaries).',
      ...NO_ADAPTER_SUGGESTIONS,
      'Or run with --backend wasm (portable, no GPU).',
    ];
  }
  if (requested === 'tensorflow') {
    return [
      'Install the native backend: npm install @tensorflow/tfjs-node (or @tensorflow/tfjs-node-gpu with CUDA).',
      'Or run with --backend wasm (portable, no native build).',
    ];
  }
  return ['Run `madenet doctor` to see which backends load here.', 'Try --backend auto.'];
}
