// `--engine auto|onnx|tfjs`: which engine runs an artifact version, and loading it behind the async contract.
// auto takes onnxruntime when a parity-checked ONNX export of exactly that version exists and the package
// loads, tfjs otherwise; the reason is reported either way. With `--execution-provider cuda` only onnxruntime
// qualifies: a model that cannot run on it is an error, never a silent tfjs (CPU) run.
import { MadenetError } from '../core/errors.js';
import type { Detector } from '../detectors/detector.js';
import { loadClassifierArtifact, loadDetector as registryLoadDetector } from '../detectors/registry.js';
import type { Classifier } from '../infer/classifier-contract.js';
import { tfjsAsyncClassifier, tfjsAsyncDetector, type AsyncClassifier, type AsyncDetector, type EngineName } from './async-detector.js';
import { CUDA_INSTALL, type ExecutionProvider } from './execution-provider.js';
import { findOnnxExport } from './onnx-artifact.js';
import { loadOnnxClassifier, loadOnnxDetector, type OnnxEngineOptions } from './onnx-detector.js';
import { tryLoadOrt } from './onnxruntime.js';

export const ENGINE_REQUESTS = ['auto', 'onnx', 'tfjs'] as const;
export type EngineRequest = (typeof ENGINE_REQUESTS)[number];

export interface EngineChoice {
  engine: EngineName;
  /** The version directory the engine loads (for onnx: the exported version holding model.onnx). */
  dir: string;
  reason: string;
  /** onnx only: the execution provider asked for (its session's providers are on the loaded model). */
  provider?: ExecutionProvider;
}

export function parseEngine(value: string): EngineRequest {
  if ((ENGINE_REQUESTS as readonly string[]).includes(value)) return value as EngineRequest;
  throw new MadenetError('E_USAGE', `Unknown engine: ${value}; expected one of ${ENGINE_REQUESTS.join(', ')}.`);
}

/** --execution-provider other than cpu runs only on onnxruntime: with --engine tfjs it is a usage error. */
export function checkEngineProvider(request: EngineRequest, provider: ExecutionProvider): void {
  if (provider !== 'cpu' && request === 'tfjs') {
    throw new MadenetError('E_USAGE', `--execution-provider ${provider} applies to the onnx engine; got --engine tfjs.`, {
      suggestions: [`Use --engine onnx or auto with --execution-provider ${provider}, or drop --execution-provider for tfjs.`],
    });
  }
}

export async function chooseEngine(request: EngineRequest, versionDir: string, provider: ExecutionProvider = 'cpu'): Promise<EngineChoice> {
  checkEngineProvider(request, provider);
  if (request === 'tfjs') return { engine: 'tfjs', dir: versionDir, reason: 'requested' };
  const onnxDir = await findOnnxExport(versionDir);
  // The native package is loaded only when there is something for it to run.
  const ort = onnxDir === null ? null : await tryLoadOrt();
  if (onnxDir !== null && ort !== null && 'ort' in ort) {
    const reason = onnxDir === versionDir ? 'parity-checked ONNX file in the version' : `parity-checked ONNX export in ${onnxDir}`;
    return { engine: 'onnx', dir: onnxDir, reason, provider };
  }
  const why = onnxDir === null || ort === null ? `no parity-checked ONNX export of ${versionDir}` : (ort as { error: string }).error;
  if (provider !== 'cpu') {
    const code = onnxDir === null ? 'E_ENGINE' : 'E_EXECUTION_PROVIDER';
    throw new MadenetError(code, `--execution-provider ${provider} runs only on the onnx engine, which cannot run ${versionDir}: ${why}.`, {
      suggestions:
        onnxDir === null
          ? [`Export it first: madenet export --model ${versionDir}`, 'Or run on the CPU: --execution-provider cpu.']
          : [provider === 'cuda' ? `On a server with CUDA 12 and cuDNN 9: ${CUDA_INSTALL}` : 'Install onnxruntime-node (its npm package bundles the webgpu provider).', 'Or run on the CPU: --execution-provider cpu.'],
    });
  }
  if (request === 'auto') return { engine: 'tfjs', dir: versionDir, reason: why };
  throw new MadenetError('E_ENGINE', `--engine onnx cannot run ${versionDir}: ${why}.`, {
    suggestions: onnxDir === null ? [`Export it first: madenet export --model ${versionDir}`, 'Or use --engine auto (falls back to tfjs).'] : ['Install onnxruntime-node, or use --engine auto / tfjs.'],
  });
}

export interface EngineLoadOptions {
  threads?: number;
  /** onnx sessions' execution provider; default cpu (anything else requires the onnx engine, see chooseEngine). */
  executionProvider?: ExecutionProvider;
  /** tfjs loaders (tests inject fakes); default the registry's. */
  loadTfjsDetector?: (dir: string) => Promise<Detector>;
  loadTfjsClassifier?: (dir: string) => Promise<Classifier>;
}

function onnxOptions(opts: EngineLoadOptions): OnnxEngineOptions {
  return { ...(opts.threads === undefined ? {} : { threads: opts.threads }), ...(opts.executionProvider ? { executionProvider: opts.executionProvider } : {}) };
}

export type ChosenDetector = AsyncDetector & { readonly choice: EngineChoice };
export type ChosenClassifier = AsyncClassifier & { readonly choice: EngineChoice };

export function loadDetectorWithEngine(versionDir: string, request: EngineRequest, opts: EngineLoadOptions = {}): Promise<ChosenDetector> {
  return loadWithEngine(versionDir, request, opts, loadOnnxDetector, async (dir) => tfjsAsyncDetector(await (opts.loadTfjsDetector ?? registryLoadDetector)(dir)));
}

export function loadClassifierWithEngine(versionDir: string, request: EngineRequest, opts: EngineLoadOptions = {}): Promise<ChosenClassifier> {
  return loadWithEngine(versionDir, request, opts, loadOnnxClassifier, async (dir) => tfjsAsyncClassifier(await (opts.loadTfjsClassifier ?? loadClassifierArtifact)(dir)));
}

/** Chooses the engine for an artifact version and loads the model with it, recording the choice on the model. */
async function loadWithEngine<M extends object>(
  versionDir: string,
  request: EngineRequest,
  opts: EngineLoadOptions,
  onnx: (dir: string, options: OnnxEngineOptions) => Promise<M>,
  tfjs: (dir: string) => Promise<M>,
): Promise<M & { readonly choice: EngineChoice }> {
  const choice = await chooseEngine(request, versionDir, opts.executionProvider);
  const model = choice.engine === 'onnx' ? await onnx(choice.dir, onnxOptions(opts)) : await tfjs(choice.dir);
  return Object.assign(model, { choice });
}
