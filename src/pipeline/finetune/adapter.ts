// What the fine-tuning service needs from each submodel: live networks restored from the parent, one optimiser
// step on a mixed batch, the detector to validate, weight snapshots and the files of the new artifact. The loop,
// validation, checkpoints and lineage are the service's; nothing here reads flags or writes files.
import type * as tf from '@tensorflow/tfjs';
import type { GdeState } from '../submodels/lpd/model/gde.js';
import type { LoadedArtifact } from '../artifacts/index.js';
import type { Detector, SubmodelKind } from '../detectors/detector.js';
import type { CandidateEvaluation } from '../perfmap/evaluate-candidates.js';
import type { ValidationPlan } from '../perfmap/validation-set.js';
import type { Sample } from '../io/dataset.js';
import type { TextureBank } from '../synth/texture-bank.js';
import type { StepContext } from '../train/loop.js';
import type { MixedRawBatch } from './mixed-batches.js';

export interface ParentDefaults {
  valFraction: number;
  seed: number;
  batchSize: number;
  lr: number;
}

/** The artifact a fine-tune continues from (loaded by parent.ts; declared here, where the adapters read it). */
export interface FinetuneParent {
  artifact: LoadedArtifact;
  kind: SubmodelKind;
  category: string;
  /** The artifact root it lives in (<root>/<kind>/<category>/vNNNN). */
  root: string;
  config: Record<string, unknown>;
  defaults: ParentDefaults;
}

export interface FinetuneSnapshot {
  /** Weights of the trained networks by checkpoint name. */
  models: Record<string, tf.io.ModelArtifacts>;
  /** LPD: the GDE fitted with these weights (null when unknown, e.g. after a resume). */
  gde?: GdeState | null;
}

export interface AdapterOptions {
  parent: FinetuneParent;
  trainNormals: readonly Sample[];
  seed: number;
  lr: number;
  batchSize: number;
  textures: TextureBank;
}

export interface FinetuneAdapter {
  readonly kind: SubmodelKind;
  readonly imageSize: number;
  /** Live networks the optimiser updates (and checkpoints hold), by name. */
  readonly models: Record<string, tf.LayersModel>;
  readonly optimizer: tf.Optimizer;
  /** Submodel-specific settings recorded in the artifact's config.finetune (and compared on --resume). */
  readonly settings: Record<string, unknown>;
  setLr(lr: number): void;
  /** One optimiser step; returns the loss terms read back ('loss' is the total). */
  step(raw: MixedRawBatch, ctx: StepContext): Promise<Record<string, number>>;
  /** The detector as it would be saved now (LPD refits its GDE on the train normals first). Not owned by the caller. */
  detector(): Promise<Detector>;
  snapshot(): Promise<FinetuneSnapshot>;
  /** Puts a snapshot's weights back into the live networks. */
  restore(snapshot: FinetuneSnapshot): Promise<void>;
  /** After a checkpoint was restored at `step` (LPD's dropout masks depend on the step count). */
  resumedAt(step: number): void;
  /** The models and files of the new artifact, from the best snapshot (already restored into the live networks). */
  payload(best: FinetuneSnapshot, evaluation: CandidateEvaluation, plan: ValidationPlan): Promise<{ models: Record<string, tf.io.ModelArtifacts>; files: Record<string, Buffer | string> }>;
  dispose(): void;
}

