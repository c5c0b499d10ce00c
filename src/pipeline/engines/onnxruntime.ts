// Loads onnxruntime-node (an optional dependency) on first use and opens inference sessions with madenet's
// thread setting. The only module that imports the package; nothing here knows about models or artifacts.
import os from 'node:os';
import type * as Ort from 'onnxruntime-node';
import { MadenetError } from '../cli/errors.js';

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

/** --threads semantics shared with the wasm backend: 0 = one per logical core. */
export function ortThreads(threads: number | undefined): number {
  if (threads !== undefined && (!Number.isInteger(threads) || threads < 0)) {
    throw new MadenetError('E_USAGE', `Invalid thread count: ${threads}; expected 0 (one per core) or a positive integer.`);
  }
  return threads === undefined || threads === 0 ? os.availableParallelism() : threads;
}

/** A CPU session over model bytes: all graph optimisations, `threads` intra-op threads (not spinning), sequential. */
export async function createOrtSession(bytes: Uint8Array, opts: { threads?: number } = {}): Promise<OrtSession> {
  const ort = await loadOrt();
  try {
    return await ort.InferenceSession.create(bytes, {
      executionProviders: ['cpu'],
      graphOptimizationLevel: 'all',
      executionMode: 'sequential',
      intraOpNumThreads: ortThreads(opts.threads),
      interOpNumThreads: 1,
      // Idle pool threads spin by default, competing with sharp's decoders and other jobs for the cores: on a
      // loaded 2-core machine 2 threads ran SFAD small 1.5-3x slower with spinning than without.
      extra: { session: { intra_op: { allow_spinning: '0' } } },
    });
  } catch (e) {
    throw new MadenetError('E_ENGINE', `onnxruntime could not load the model: ${(e as Error).message}`, {
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
