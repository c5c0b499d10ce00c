// Trains the planned submodel runs of one category through the same services as their commands (SRAD, LPD,
// SFAD seeded from the LPD backbone as the demo does, optionally SFAD on a random backbone), then fine-tunes
// them when the category has real train defects. Returns artifacts and timings; evaluates nothing on test data.
import type { BackendRequest } from '../../src/pipeline/runtime/backend.js';
import { finetune } from '../../src/pipeline/services/finetune.js';
import { trainLpd } from '../../src/pipeline/services/train-lpd.js';
import { trainPatchcore } from '../../src/pipeline/services/train-patchcore.js';
import { trainSfad } from '../../src/pipeline/services/train-sfad.js';
import { trainSrad } from '../../src/pipeline/services/train-srad.js';
import type { RunPlan } from './plan.js';
import { cpuSecondsSince } from '../../src/pipeline/runtime/cpu-time.js';

export interface TrainCategoryOptions {
  data: string;
  category: string;
  out: string;
  seed: number;
  /** Overrides the presets' 128 px (smoke: 32). */
  imageSize?: number;
  plans: RunPlan[];
  trainDefects: number;
  textures: string | null;
  backend: BackendRequest;
  threads: number;
  /** Fine-tune epochs when there are real train defects. */
  finetuneEpochs: number;
  onStep?: (step: string) => void;
}

export interface TrainedRun {
  plan: RunPlan;
  /** The artifact evaluated and put in the perfmap: the fine-tuned one when fine-tuning ran. */
  artifact: string;
  imageSize: number;
  backbone: string;
  epochs: number;
  bestEpoch: number | null;
  seconds: number;
  /** CPU seconds of this process (all its threads) while it trained: what a loaded shared machine does not inflate. */
  cpuSeconds: number;
  /** Wall seconds of each training epoch (its validation included). */
  epochSeconds: number[];
  trainImages: number;
  validationObjective: number | null;
  validation: { source: string; normals: number; defects: number };
}

export interface TrainCategoryResult {
  runs: TrainedRun[];
  finetune: string;
}

export async function trainCategory(opts: TrainCategoryOptions): Promise<TrainCategoryResult> {
  const rt = { backend: opts.backend, threads: opts.threads };
  const common = {
    data: opts.data,
    category: opts.category,
    out: opts.out,
    seed: opts.seed,
    checkpointEvery: 0,
    ...(opts.imageSize !== undefined ? { imageSize: opts.imageSize } : {}),
    ...(opts.textures ? { textures: opts.textures } : {}),
    ...rt,
  };
  const runs: TrainedRun[] = [];
  let lpdArtifact: string | null = null;
  for (const plan of opts.plans) {
    const cpu0 = process.cpuUsage();
    opts.onStep?.(`${plan.id} ${opts.category}: ${plan.preset}, ${plan.epochs} epochs (planned ~${Math.round(plan.plannedSeconds)} s)`);
    const base = { ...common, preset: plan.preset, epochs: plan.epochs, batchSize: plan.batchSize, ...(plan.lr !== undefined ? { lr: plan.lr } : {}) };
    if (plan.id === 'srad') {
      const r = await trainSrad({ ...base, lr: plan.lr ?? 3e-3 });
      runs.push(trained(plan, r, r.metrics));
    } else if (plan.id === 'lpd') {
      const r = await trainLpd({ ...base, scoring: 'gde' });
      lpdArtifact = r.artifact.dir;
      runs.push(trained(plan, r, r.metrics));
    } else {
      const backbone = plan.id === 'sfad-lpd' ? lpdArtifact : 'random';
      if (backbone === null) throw new Error(`Run sfad-lpd for ${opts.category} was planned before an LPD run; the plan must train LPD first.`);
      // Two SFAD runs of one category must not share an artifact folder (versions would interleave).
      const out = plan.id === 'sfad-random' ? `${opts.out}/sfad-random` : opts.out;
      const r = await trainSfad({ ...base, out, backbone });
      runs.push(trained(plan, r, r.metrics));
    }
    (runs[runs.length - 1] as TrainedRun).cpuSeconds = cpuSecondsSince(cpu0);
  }
  if (opts.trainDefects === 0) return { runs, finetune: 'n/a: no defective train images' };

  const notes: string[] = [];
  for (const run of runs) {
    opts.onStep?.(`finetune ${run.plan.id} ${opts.category}: ${opts.finetuneEpochs} epochs on ${opts.trainDefects} real train defects`);
    const cpu0 = process.cpuUsage();
    const ft = await finetune({ model: run.artifact, data: opts.data, epochs: opts.finetuneEpochs, realRatio: 0.5, checkpointEvery: 0, ...rt });
    run.artifact = ft.artifact.dir;
    run.seconds += ft.seconds;
    run.cpuSeconds += cpuSecondsSince(cpu0);
    run.validationObjective = ft.metrics.after.objective;
    notes.push(`${run.plan.id} ${fmt(ft.metrics.before.objective)} -> ${fmt(ft.metrics.after.objective)}`);
  }
  const epochs = `${opts.finetuneEpochs} epoch${opts.finetuneEpochs === 1 ? '' : 's'}`;
  return { runs, finetune: `${epochs} on ${opts.trainDefects} real train defects (validation objective before -> after): ${notes.join('; ')}` };
}

interface TrainedMetrics {
  objective?: number | null;
  bestEpoch?: number | null;
}

interface TrainerResult {
  artifact: { dir: string };
  imageSize: number;
  backbone: string;
  seconds: number;
  trainImages: number;
  epochs: { seconds: number }[];
  validation: { source: string; normals: number; defects: number };
}

function trained(plan: RunPlan, r: TrainerResult, metrics: TrainedMetrics): TrainedRun {
  return {
    plan,
    artifact: r.artifact.dir,
    imageSize: r.imageSize,
    backbone: r.backbone,
    epochs: plan.epochs,
    bestEpoch: metrics.bestEpoch ?? null,
    seconds: r.seconds,
    cpuSeconds: 0,
    epochSeconds: r.epochs.map((e) => e.seconds),
    trainImages: r.trainImages,
    validationObjective: metrics.objective ?? null,
    validation: { source: r.validation.source, normals: r.validation.normals, defects: r.validation.defects },
  };
}


function fmt(v: number | null): string {
  return v === null ? 'n/a' : v.toFixed(3);
}

export interface PatchcoreRun {
  artifact: string;
  imageSize: number;
  backbone: string;
  /** "package version, licence" of an npm backbone, or the provenance kind. */
  backboneSource: string;
  layers: string[];
  seconds: number;
  cpuSeconds: number;
  trainImages: number;
  imagesPerSecond: number;
  bankRows: number;
  patchRows: number;
  validationObjective: number | null;
  validation: { source: string; normals: number; defects: number };
}

/**
 * train-patchcore with its defaults (the bench measures the submodel as a user gets it), on the same validation
 * hold-out as the others. No feature cache: the training seconds are those of a first run. Smoke runs use 64 px,
 * the smallest size whose deepest default layer still has a patch grid.
 */
export async function trainPatchcoreRun(opts: Pick<TrainCategoryOptions, 'data' | 'category' | 'out' | 'seed' | 'textures' | 'backend' | 'threads' | 'onStep'> & { imageSize?: number }): Promise<PatchcoreRun> {
  const cpu0 = process.cpuUsage();
  opts.onStep?.(`patchcore ${opts.category}: memory bank with the train-patchcore defaults${opts.imageSize ? ` at ${opts.imageSize} px` : ''}`);
  const r = await trainPatchcore({
    data: opts.data,
    category: opts.category,
    out: opts.out,
    seed: opts.seed,
    backend: opts.backend,
    threads: opts.threads,
    featureCache: null,
    ...(opts.imageSize !== undefined ? { imageSize: opts.imageSize } : {}),
    ...(opts.textures ? { textures: opts.textures } : {}),
  });
  const p = r.provenance;
  return {
    artifact: r.artifact.dir,
    imageSize: r.imageSize,
    backbone: r.backbone,
    backboneSource: p.kind === 'npm' ? `${p.package} ${p.version}, ${p.license}` : `${p.kind} ${p.arch}`,
    layers: r.globalLayer ? [...r.layers, `global ${r.globalLayer}`] : r.layers,
    seconds: r.seconds,
    cpuSeconds: cpuSecondsSince(cpu0),
    trainImages: r.trainImages,
    imagesPerSecond: r.imagesPerSecond,
    bankRows: r.bankRows,
    patchRows: r.patchRows,
    validationObjective: r.metrics.objective,
    validation: { source: r.validation.source, normals: r.validation.normals, defects: r.validation.defects },
  };
}
