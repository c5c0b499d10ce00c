// What `madenet doctor` says about onnxruntime-node, on which `infer --engine auto` depends: installed or not (and
// why it does not load), its version, and which execution providers can run here. Facts only; no printing.
import { ortProviderFacts } from './onnxruntime.js';
import { CUDA_INSTALL, providerUnavailable } from './execution-provider.js';

export interface OnnxruntimeReport {
  /** The package imported and its native binding loaded. */
  available: boolean;
  version: string | null;
  /** Why it is unavailable (not installed, or the binding failed to load). */
  reason?: string;
  /** Providers that can run here now (cpu, and cuda when its libraries are present). */
  providers: string[];
  /** Providers compiled into the binding but needing libraries that are not installed, each with why. */
  missing: { provider: string; reason: string }[];
  /** What `infer --engine auto` does with these facts. */
  engineAuto: string;
  /** How to get it (or its GPU provider). */
  hint: string | null;
}

export async function onnxruntimeReport(): Promise<OnnxruntimeReport> {
  const facts = await ortProviderFacts('cuda');
  if (facts.version === null) {
    return {
      available: false,
      version: null,
      reason: facts.loadError ?? 'it does not load',
      providers: [],
      missing: [],
      engineAuto: 'tfjs for every model (exported ONNX graphs are not used)',
      hint: 'npm install onnxruntime-node (offline: ONNXRUNTIME_NODE_INSTALL=skip npm install onnxruntime-node)',
    };
  }
  const providers = ['cpu'];
  const missing: OnnxruntimeReport['missing'] = [];
  const cuda = providerUnavailable('cuda', facts);
  if (cuda === null) providers.push('cuda');
  else if (facts.backends?.some((b) => b.name === 'cuda')) missing.push({ provider: 'cuda', reason: cuda.message });
  return {
    available: true,
    version: facts.version,
    providers,
    missing,
    engineAuto: 'onnxruntime for artifacts with a parity-checked ONNX export (`madenet export`) and for PatchCore (no export needed), tfjs for the rest',
    hint: providers.includes('cuda') ? null : `GPU: ${CUDA_INSTALL}`,
  };
}
