// The Submodel contract: everything the generic machinery (detector loading, build-perfmap, infer, evaluate,
// export, finetune, the generic trainer) needs from one kind of submodel. Each submodel folder's index.ts exports
// one object of this shape and registry.ts lists them. index.ts stays light: it imports heavy code (networks,
// ONNX converters, trainers) lazily, so that listing the kinds loads no TensorFlow.js graph code.
import type { LoadedArtifact } from '../artifacts/index.js';
import type { Detector } from '../detectors/detector.js';
import type { AsyncDetector } from '../engines/async-detector.js';
import type { FeatureEngineChoice, FeatureEngineUsed } from '../features/onnx-features.js';
import type { OnnxGraph } from '../export/onnx-graph.js';
import type { AdapterOptions, FinetuneAdapter } from '../finetune/adapter.js';
import type { BatchComposition } from '../finetune/real-ratio.js';
import type { TrainingRunOptions, TrainingRunResult } from '../train/train-run-types.js';
import type { TrainWorkflow } from '../train/workflow.js';

/** Why a capability is missing, for the error a user gets (the command decides the code). */
export interface Unsupported {
  readonly unsupported: string;
  readonly suggestions?: readonly string[];
}

export interface SubmodelExport {
  /** The artifact's networks as one ONNX graph following export/onnx-contract.ts, and the input side. */
  graph(artifact: LoadedArtifact): Promise<{ graph: OnnxGraph; imageSize: number }>;
}

/** What the generic fine-tuner (services/finetune.ts) needs from a submodel with trained weights. */
export interface SubmodelFinetune {
  /** Default fine-tuning rate as a share of the rate the parent was trained with. */
  readonly lrFactor: number;
  /** The rate the parent was trained with, from its recorded config. */
  trainedLr(config: RecordedTraining): number;
  /** null when the batch size suits the kind, else what is expected (for E_USAGE). */
  batchSizeExpectation(batchSize: number): string | null;
  /** Real, synthetic, clean and normal images of the fine-tuning batch at `step`. */
  composition(batchSize: number, realRatio: number, step: number): BatchComposition;
  /** Parent config keys copied to the top of the new artifact's config (what the kind's loaders read there). */
  topLevelConfig?(parentConfig: Record<string, unknown>): Record<string, unknown>;
  adapter(opts: AdapterOptions & { featureBudgetBytes?: number }): Promise<FinetuneAdapter>;
}

/** The options every trainer takes; a kind reads its own further keys (preset, backbone, ...) from the same object. */
export interface SubmodelTrainOptions extends TrainingRunOptions {
  category: string;
  /** Artifact root: <out>/<kind>/<category>/vNNNN. */
  out: string;
  seed: number;
  [option: string]: unknown;
}

/** A kind trained by the generic trainer (train/workflow.ts): its run for the given options, checked before any I/O. */
export interface SubmodelTrainer {
  // The batch and checkpoint types are the kind's own; the generic trainer only passes them through.
  workflow(opts: SubmodelTrainOptions): Promise<TrainWorkflow<any, TrainingRunResult, any>>;
}

/** The parts of a recorded artifact config the fine-tuner's defaults read. */
export interface RecordedTraining {
  model?: { batchSize?: number; lrDiscriminator?: number; learningRate?: number };
  training?: { batchSize?: number; schedule?: { baseLr?: number } };
  validation?: { valFraction?: number };
  finetune?: { lr?: number };
}

export interface Submodel {
  /** The artifact kind (<root>/<kind>/<category>/vNNNN) and the predictions' "model" field: lowercase, kind-shaped. */
  readonly kind: string;
  /** The name in messages and reports (SRAD, PatchCore). */
  readonly title: string;
  /** Whether `infer --fallback` may name it (a kind routed to when the classifier is unsure). */
  readonly fallback: boolean;
  /** The artifact as a Detector (the shared inference contract). */
  loadDetector(artifact: LoadedArtifact): Promise<Detector>;
  /**
   * A kind with no whole-model ONNX export whose frozen feature pass can still run through onnxruntime (PatchCore's
   * backbone): the artifact behind the async contract, its features computed by the engine `featureEngine` picks
   * (features/onnx-features.ts chooseFeatureEngine), with the engine used and auto's reason for falling back.
   */
  loadAsyncDetector?(artifact: LoadedArtifact, opts: { featureEngine: FeatureEngineChoice; threads?: number }): Promise<AsyncDetector & { readonly featureEngine: FeatureEngineUsed }>;
  readonly onnx: SubmodelExport | Unsupported;
  readonly finetune: SubmodelFinetune | Unsupported;
  /** Gradient training through the generic trainer; absent for a kind built otherwise (PatchCore's memory bank). */
  readonly train?: SubmodelTrainer;
}

export function isUnsupported<T extends object>(c: T | Unsupported): c is Unsupported {
  return 'unsupported' in c;
}

/**
 * The trainer, detector loader and ONNX graph of a gradient-trained kind, each module imported on first use (so
 * that index.ts stays light): every `load*` resolves to the function the kind's heavy module exports.
 */
export function lazySubmodelParts(load: {
  // The kind's own option type; the workflow checks the options before any I/O.
  workflow: () => Promise<(opts: any) => TrainWorkflow<any, TrainingRunResult, any>>;
  detector: () => Promise<Submodel['loadDetector']>;
  graph: () => Promise<SubmodelExport['graph']>;
}): Required<Pick<Submodel, 'train' | 'loadDetector'>> & { onnx: SubmodelExport } {
  return {
    train: { workflow: async (o) => (await load.workflow())(o) },
    loadDetector: async (artifact) => (await load.detector())(artifact),
    onnx: { graph: async (artifact) => (await load.graph())(artifact) },
  };
}
