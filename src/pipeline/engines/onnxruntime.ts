// Loads onnxruntime-node (an optional dependency) on first use and opens inference sessions with madenet's
// thread and execution-provider settings. The only module that imports the package; nothing here knows about
// models or artifacts.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import { dirname, join } from 'node:path';
import type * as Ort from 'onnxruntime-node';
import { MadenetError } from '../core/errors.js';
import { NO_ADAPTER_SUGGESTIONS } from '../runtime/webgpu/adapter.js';
import { vulkanFacts } from '../runtime/webgpu/dawn.js';
import { providerUnavailable, sessionProviders, webgpuProviderMissing, type ExecutionProvider, type OrtProviderFacts } from './execution-provider.js';

export type OrtModule = typeof Ort;
export type OrtSession = Ort.InferenceSession;

let loaded: Promise<{ ort: OrtModule } | { error: string }> | undefined;

/** The package, or why it cannot be used here (not installed, or its native binding fails to load). */
export async function tryLoadOrt(): Promise<{ ort: OrtModule } | { error: string }> {
  loaded ??= (async () => {
    try {
      // A variable specifier keeps bundlers and type-only builds from requiring the optional package.
      const specifier: string = 'onnxruntime-node';
      const mod = (await import(specifier)) as OrtModule & { default?: OrtModule };
      const ort = (mod.InferenceSession ? mod : mod.default) as OrtModule;
      if (!ort?.InferenceSession) return { error: 'onnxruntime-node loaded without an InferenceSession export' };
      return { ort };
    } catch (e) {
      const code = (e as { code?: string }).code;
      if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') return { error: 'onnxruntime-node is not installed' };
      return { error: `onnxruntime-node failed to load: ${(e as Error).message}` };
    }
  })();
  return loaded;
}

export async function loadOrt(): Promise<OrtModule> {
  const r = await tryLoadOrt();
  if ('ort' in r) return r.ort;
  throw new MadenetError('E_ENGINE', `The onnx engine is unavailable: ${r.error}.`, {
    suggestions: ['Install it with `npm install onnxruntime-node` (add ONNXRUNTIME_NODE_INSTALL=skip offline), or use --engine tfjs.'],
  });
}

/** The provider library onnxruntime-node loads for `provider`, beside its native binding (where its postinstall puts it). */
function providerLibrary(provider: string): { path: string; present: boolean } | null {
  try {
    const main = createRequire(import.meta.url).resolve('onnxruntime-node'); // <pkg>/dist/index.js
    const file = process.platform === 'win32' ? `onnxruntime_providers_${provider}.dll` : `libonnxruntime_providers_${provider}.so`;
    const path = join(dirname(main), '..', 'bin', 'napi-v6', process.platform, process.arch, file);
    return { path, present: existsSync(path) };
  } catch {
    return null;
  }
}

/** What the installed onnxruntime-node offers for `provider` (see execution-provider.ts). */
export async function ortProviderFacts(provider: ExecutionProvider): Promise<OrtProviderFacts> {
  const r = await tryLoadOrt();
  if (!('ort' in r)) return { version: null, loadError: r.error, backends: null, library: null };
  const ort = r.ort as OrtModule & { listSupportedBackends?: () => { name: string; bundled: boolean }[] };
  const version = ort.env?.versions?.node ?? ort.env?.versions?.common ?? 'unknown';
  const backends = typeof ort.listSupportedBackends === 'function' ? ort.listSupportedBackends().map((b) => ({ name: b.name, bundled: b.bundled })) : null;
  const entry = backends?.find((b) => b.name === provider);
  return { version, backends, library: entry && !entry.bundled ? providerLibrary(provider) : null };
}

/** Throws E_EXECUTION_PROVIDER when the installed package cannot run `provider` (never falls back to another). */
export async function requireExecutionProvider(provider: ExecutionProvider): Promise<void> {
  const err = providerUnavailable(provider, await ortProviderFacts(provider));
  if (err) throw err;
  if (provider === 'webgpu') {
    const missing = webgpuProviderMissing(process.platform === 'linux' ? vulkanFacts() : null);
    if (missing) throw missing;
  }
}

/** --threads semantics shared with the wasm backend: 0 = one per logical core. */
export function ortThreads(threads: number | undefined): number {
  if (threads !== undefined && (!Number.isInteger(threads) || threads < 0)) {
    throw new MadenetError('E_USAGE', `Invalid thread count: ${threads}; expected 0 (one per core) or a positive integer.`);
  }
  return threads === undefined || threads === 0 ? os.availableParallelism() : threads;
}

export interface OrtSessionOptions {
  /** Intra-op threads (0 or absent = one per core); with cuda they serve the ops left on the CPU. */
  threads?: number;
  /** Default cpu. cuda is checked first and fails with E_EXECUTION_PROVIDER rather than running on the CPU. */
  executionProvider?: ExecutionProvider;
}

/** The onnxruntime session options madenet uses: all graph optimisations, sequential, threads not spinning. */
export function ortSessionOptions(opts: OrtSessionOptions = {}): Ort.InferenceSession.SessionOptions {
  return {
    executionProviders: [...sessionProviders(opts.executionProvider ?? 'cpu')],
    graphOptimizationLevel: 'all',
    executionMode: 'sequential',
    intraOpNumThreads: ortThreads(opts.threads),
    interOpNumThreads: 1,
    // Idle pool threads spin by default, competing with sharp's decoders and other jobs for the cores: on a
    // loaded 2-core machine 2 threads ran SFAD small 1.5-3x slower with spinning than without.
    extra: { session: { intra_op: { allow_spinning: '0' } } },
    // GPU providers warn that shape ops were placed on the CPU (by design, see sessionProviders): errors only.
    ...(opts.executionProvider && opts.executionProvider !== 'cpu' ? { logSeverityLevel: 3 as const } : {}),
  };
}

/** A session over model bytes with the requested execution provider (see ortSessionOptions). */
export async function createOrtSession(bytes: Uint8Array, opts: OrtSessionOptions = {}): Promise<OrtSession> {
  const provider = opts.executionProvider ?? 'cpu';
  // Checked before ORT tries: a missing provider library otherwise costs a native error log per session.
  if (provider !== 'cpu') await requireExecutionProvider(provider);
  const ort = await loadOrt();
  try {
    return await ort.InferenceSession.create(bytes, ortSessionOptions(opts));
  } catch (e) {
    const message = (e as Error).message;
    if (provider === 'webgpu' && /webgpu|adapter|dawn|vulkan|device|gpu/i.test(message)) {
      throw new MadenetError('E_EXECUTION_PROVIDER', `onnxruntime could not start the webgpu execution provider (no usable WebGPU adapter through Vulkan): ${message}`, {
        suggestions: [...NO_ADAPTER_SUGGESTIONS, 'Or run on the CPU: --execution-provider cpu.'],
      });
    }
    // With the provider library present, ORT still fails here when CUDA/cuDNN libraries or the GPU are missing.
    if (provider !== 'cpu' && /cuda|cudnn|cublas|provider|shared librar|device|gpu/i.test(message)) {
      throw new MadenetError('E_EXECUTION_PROVIDER', `onnxruntime could not start the ${provider} execution provider: ${message}`, {
        suggestions: ['The server needs CUDA 12 and cuDNN 9 (their libraries on LD_LIBRARY_PATH) and a visible GPU (nvidia-smi, CUDA_VISIBLE_DEVICES).', 'Or run on the CPU: --execution-provider cpu.'],
      });
    }
    throw new MadenetError('E_ENGINE', `onnxruntime could not load the model: ${message}`, {
      suggestions: ['Re-export the artifact with `madenet export`; the file may come from another madenet version.'],
    });
  }
}

/** Runs a single-input session; `input` is [dims] float32. Returns the named float32 outputs. */
export async function runOrt(session: OrtSession, input: Float32Array, dims: readonly number[]): Promise<Record<string, { data: Float32Array; dims: number[] }>> {
  const ort = await loadOrt();
  const name = session.inputNames[0];
  if (name === undefined) throw new MadenetError('E_ENGINE', 'The ONNX model has no input.');
  const results = await session.run({ [name]: new ort.Tensor('float32', input, [...dims]) });
  const out: Record<string, { data: Float32Array; dims: number[] }> = {};
  for (const [k, t] of Object.entries(results)) {
    if (!(t.data instanceof Float32Array)) throw new MadenetError('E_ENGINE', `ONNX output ${k} is ${t.type}; expected float32.`);
    out[k] = { data: t.data, dims: [...t.dims] };
  }
  return out;
}
