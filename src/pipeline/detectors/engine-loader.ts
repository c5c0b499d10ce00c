// Detector loading with an engine choice for every kind, including those without a whole-model ONNX export whose
// frozen feature pass runs through onnxruntime all the same (Submodel.loadAsyncDetector: PatchCore's backbone).
// infer's --engine maps onto the feature engine there (auto -> auto, onnx -> onnx, tfjs -> tfjs); the other kinds
// keep engines/engine-choice.ts (onnxruntime for a parity-checked export). build-perfmap picks the feature engine
// alone (it validates the others in tfjs, as before).
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { LATEST_FILE, loadArtifact, MANIFEST_FILE } from '../artifacts/index.js';
import { loadDetectorWithEngine, type ChosenDetector, type EngineLoadOptions, type EngineRequest } from '../engines/engine-choice.js';
import type { AsyncDetector } from '../engines/async-detector.js';
import type { FeatureEngineChoice, FeatureEngineUsed } from '../features/onnx-features.js';
import { findSubmodel } from '../submodels/registry.js';
import type { Detector } from './detector.js';
import { loadDetector as registryLoadDetector } from './registry.js';

/** The kind a version folder's (or a kind folder's LATEST version's) manifest names, read without hashing its files; null when it cannot be read so. */
async function peekKind(dir: string): Promise<string | null> {
  const kindIn = async (d: string): Promise<string | null> => {
    const kind = (JSON.parse(await readFile(join(d, MANIFEST_FILE), 'utf8')) as { kind?: unknown }).kind;
    return typeof kind === 'string' ? kind : null;
  };
  try {
    return await kindIn(dir);
  } catch {
    // loadArtifact checks the folder properly later; this only decides which loader gets it.
    return kindIn(join(dir, (await readFile(join(dir, LATEST_FILE), 'utf8')).trim())).catch(() => null);
  }
}

/** The kind's feature-engine loader, when it has one (null for kinds run whole by tfjs or an ONNX export). */
async function featureEngineLoader(dir: string) {
  const kind = await peekKind(dir);
  return kind === null ? null : (findSubmodel(kind)?.loadAsyncDetector ?? null);
}

/** What infer's engine report says of a feature-engine choice. */
export function featureEngineReason(used: FeatureEngineUsed, request: FeatureEngineChoice): string {
  if (used.used === 'onnx') return 'frozen backbone through onnxruntime (PatchCore: with the kNN and map where its config allows; no export needed)';
  if (request === 'tfjs') return 'requested';
  return `the frozen backbone runs in tfjs, not onnxruntime: ${used.reason ?? 'unknown reason'}`;
}

/**
 * infer's loader: a kind with a feature-engine loader gets `request` as its feature engine (on the CPU provider;
 * other providers need a whole-model export, as before); every other kind goes through loadDetectorWithEngine.
 */
export async function loadDetectorForEngine(dir: string, request: EngineRequest, opts: EngineLoadOptions = {}): Promise<ChosenDetector & { readonly featureEngine?: FeatureEngineUsed }> {
  const provider = opts.executionProvider ?? 'cpu';
  const load = provider === 'cpu' && !opts.loadTfjsDetector ? await featureEngineLoader(dir) : null;
  if (!load) return loadDetectorWithEngine(dir, request, opts);
  const artifact = await loadArtifact(dir);
  const d = await load(artifact, { featureEngine: request, ...(opts.threads === undefined ? {} : { threads: opts.threads }) });
  return Object.assign(d, { choice: { engine: d.featureEngine.used, dir: artifact.dir, reason: featureEngineReason(d.featureEngine, request) } });
}

/**
 * build-perfmap's loader: a kind with a feature-engine loader runs its frozen features on the engine `choice`
 * picks; the others load as tfjs Detectors (the registry's). `onEngine` hears each feature-engine choice.
 */
export async function loadDetectorWithFeatureEngine(
  dir: string,
  choice: FeatureEngineChoice,
  opts: { threads?: number; onEngine?: (dir: string, used: FeatureEngineUsed) => void } = {},
): Promise<Detector | AsyncDetector> {
  const load = choice === 'tfjs' ? null : await featureEngineLoader(dir);
  if (!load) return registryLoadDetector(dir);
  const artifact = await loadArtifact(dir);
  const d = await load(artifact, { featureEngine: choice, ...(opts.threads === undefined ? {} : { threads: opts.threads }) });
  opts.onEngine?.(artifact.dir, d.featureEngine);
  return d;
}
