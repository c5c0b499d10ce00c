// `--execution-provider cpu|cuda|webgpu`: which onnxruntime execution provider runs the onnx engine, and whether
// the installed onnxruntime-node can run it. Pure decisions on facts gathered by onnxruntime.ts; no package import.
import { MadenetError } from '../core/errors.js';
import { NO_ADAPTER_SUGGESTIONS, type VulkanFacts } from '../runtime/webgpu/adapter.js';

export const EXECUTION_PROVIDERS = ['cpu', 'cuda', 'webgpu'] as const;
export type ExecutionProvider = (typeof EXECUTION_PROVIDERS)[number];

/** How a GPU server gets the CUDA provider (its libraries are not in the npm tarball; the postinstall fetches them). */
export const CUDA_INSTALL = 'ONNXRUNTIME_NODE_INSTALL=cuda12 npm install onnxruntime-node';

export function parseExecutionProvider(value: string): ExecutionProvider {
  if ((EXECUTION_PROVIDERS as readonly string[]).includes(value)) return value as ExecutionProvider;
  throw new MadenetError('E_USAGE', `Unknown execution provider: ${value}; expected one of ${EXECUTION_PROVIDERS.join(', ')}.`);
}

/**
 * The providers a session is created with, in priority order. cuda and webgpu keep cpu behind them: onnxruntime
 * places the ops the GPU provider has no kernel for (shape arithmetic) on the CPU, its normal partitioning; the
 * session itself never falls back.
 */
export function sessionProviders(provider: ExecutionProvider): readonly string[] {
  return provider === 'cpu' ? ['cpu'] : [provider, 'cpu'];
}

/**
 * onnxruntime's WebGPU provider runs on its own Dawn build, on Linux through Vulkan: without the Vulkan loader
 * or any driver manifest it cannot find an adapter. An E_EXECUTION_PROVIDER error naming what is missing, or
 * null (then only creating the session tells; see onnxruntime.ts).
 */
export function webgpuProviderMissing(vulkan: VulkanFacts | null): MadenetError | null {
  if (vulkan === null) return null;
  const what = vulkan.loader === null ? 'the Vulkan loader (libvulkan.so.1)' : vulkan.icdFiles.length === 0 ? `a Vulkan driver (no manifest in ${vulkan.icdDirs.join(', ')})` : null;
  if (what === null) return null;
  return new MadenetError('E_EXECUTION_PROVIDER', `--execution-provider webgpu needs ${what}, which this machine lacks.`, {
    suggestions: [...NO_ADAPTER_SUGGESTIONS, 'Or run on the CPU: --execution-provider cpu.'],
  });
}

/** What onnxruntime.ts found out about the installed package. */
export interface OrtProviderFacts {
  /** null when onnxruntime-node does not load (with why). */
  version: string | null;
  loadError?: string;
  /** listSupportedBackends(): the providers compiled into the binding; null when the package lacks the function. */
  backends: { name: string; bundled: boolean }[] | null;
  /** For providers not bundled in the npm package: the provider library file the postinstall would have fetched. */
  library: { path: string; present: boolean } | null;
}

function supportedText(f: OrtProviderFacts): string {
  if (f.backends === null) return 'it cannot list its providers';
  const usable = f.backends.filter((b) => b.bundled).map((b) => b.name);
  const fetched = f.backends.filter((b) => !b.bundled).map((b) => b.name);
  return `it supports ${usable.join(', ') || 'nothing'}${fetched.length ? ` (${fetched.join(', ')} only once their provider libraries are installed)` : ''}`;
}

/**
 * Why `provider` cannot run with the installed package (an E_EXECUTION_PROVIDER error to throw), or null when
 * it can be tried. cpu always can once the package loads; cuda needs the binding to list it and, when the npm
 * package does not bundle it, its provider library beside the binding.
 */
export function providerUnavailable(provider: ExecutionProvider, f: OrtProviderFacts): MadenetError | null {
  const fix = provider === 'cuda' ? [`On a server with CUDA 12 and cuDNN 9: ${CUDA_INSTALL}`] : [];
  const cpu = 'Or run on the CPU: --execution-provider cpu (the default).';
  if (f.version === null) {
    return new MadenetError('E_EXECUTION_PROVIDER', `--execution-provider ${provider} needs onnxruntime-node, which is unavailable here: ${f.loadError ?? 'it does not load'}.`, {
      suggestions: [...fix, cpu],
    });
  }
  if (provider === 'cpu' || f.backends === null) return null;
  const entry = f.backends.find((b) => b.name === provider);
  const what = `onnxruntime-node ${f.version} cannot run the ${provider} execution provider here: ${supportedText(f)}`;
  if (entry === undefined) {
    return new MadenetError('E_EXECUTION_PROVIDER', `${what}; this build has no ${provider} provider.`, { suggestions: [...fix, cpu] });
  }
  if (!entry.bundled && f.library !== null && !f.library.present) {
    return new MadenetError('E_EXECUTION_PROVIDER', `${what}; ${f.library.path} is missing (it was installed without the ${provider} files, e.g. with ONNXRUNTIME_NODE_INSTALL=skip).`, {
      suggestions: [...fix, cpu],
    });
  }
  return null;
}
