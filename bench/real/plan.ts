// Turns a per-category training budget into fixed epochs per submodel run, from measured seconds per epoch
// (the trainers cannot stop on a clock and still save an artifact), and the settings of each run. Pure maths.
import type { SubmodelRunId } from './results.js';

export interface RunSettings {
  id: SubmodelRunId;
  kind: 'srad' | 'lpd' | 'sfad';
  preset: 'small' | 'tiny';
  batchSize: number;
  /** Undefined: the preset's. */
  lr?: number;
  /** Largest useful epoch count (the preset's schedule length where it has one). */
  maxEpochs: number;
}

export interface RunPlan extends RunSettings {
  epochs: number;
  plannedSeconds: number;
}

/** Training seconds = setupSeconds + epochs x secondsPerImageEpoch x train images (validation per epoch included). */
export interface RunCost {
  setupSeconds: number;
  secondsPerImageEpoch: number;
}

/**
 * `node --import tsx bench/real/calibrate.ts` (srad=2, lpd=2, sfad=3 epochs) on mvtec_ad_reduced/transistor, 40
 * train images at 128 px, wasm, 1 thread, 2-vCPU AMD EPYC, from CPU seconds (the machine was shared, load 7-9, so
 * wall time was ~2x): SRAD 1.09 s per image-epoch, LPD 0.41 (layer1+layer2 GDE; 0.37 with layer2+layer3), SFAD
 * 0.07 (LPD or random backbone), setups of 1-3 s. The constants add ~20% and a few seconds of setup.
 */
export const SMALL_COSTS: Record<SubmodelRunId, RunCost> = {
  // 0.43 CPU s per image-epoch since the decoder projects the HRNet concat to 64 channels (75 epochs of 80 demo
  // images at 128 px, validation included); it was 1.09 before.
  srad: { setupSeconds: 10, secondsPerImageEpoch: 0.55 },
  lpd: { setupSeconds: 5, secondsPerImageEpoch: 0.5 },
  'sfad-lpd': { setupSeconds: 5, secondsPerImageEpoch: 0.09 },
  'sfad-random': { setupSeconds: 5, secondsPerImageEpoch: 0.09 },
};

/**
 * SFAD runs with the small preset's own settings (standardised features, noise 0.2 of each channel's spread, lr
 * 1e-3), which fit random and LPD backbones alike (src/pipeline/submodels/sfad/train/README.md); before standardisation each
 * backbone needed its own noise (0.27 LPD, 0.07 random).
 */
export const SMALL_SETTINGS: Record<SubmodelRunId, RunSettings> = {
  srad: { id: 'srad', kind: 'srad', preset: 'small', batchSize: 4, lr: 3e-3, maxEpochs: 200 },
  lpd: { id: 'lpd', kind: 'lpd', preset: 'small', batchSize: 32, maxEpochs: 40 },
  'sfad-lpd': { id: 'sfad-lpd', kind: 'sfad', preset: 'small', batchSize: 8, maxEpochs: 40 },
  'sfad-random': { id: 'sfad-random', kind: 'sfad', preset: 'small', batchSize: 8, maxEpochs: 40 },
};

/** --smoke: tiny presets, one epoch each; proves the steps run, its scores mean nothing. */
export const SMOKE_SETTINGS: Record<SubmodelRunId, RunSettings> = {
  srad: { id: 'srad', kind: 'srad', preset: 'tiny', batchSize: 4, lr: 3e-3, maxEpochs: 1 },
  lpd: { id: 'lpd', kind: 'lpd', preset: 'tiny', batchSize: 8, maxEpochs: 1 },
  'sfad-lpd': { id: 'sfad-lpd', kind: 'sfad', preset: 'tiny', batchSize: 4, maxEpochs: 1 },
  'sfad-random': { id: 'sfad-random', kind: 'sfad', preset: 'tiny', batchSize: 4, maxEpochs: 1 },
};

/** Budget shares; SRAD (the slowest per epoch and the furthest from converged) also gets what the others leave. */
const SHARES: Record<'with' | 'without', Partial<Record<SubmodelRunId, number>>> = {
  without: { srad: 0.45, lpd: 0.35, 'sfad-lpd': 0.2 },
  with: { srad: 0.42, lpd: 0.33, 'sfad-lpd': 0.15, 'sfad-random': 0.1 },
};

/** Train images left after build-perfmap's validation hold-out (holdOut in src/pipeline/train/data.ts). */
export function trainImagesAfterHoldOut(trainNormals: number, valFraction = 0.2): number {
  const nVal = trainNormals < 2 ? 0 : Math.min(64, Math.max(1, Math.round(trainNormals * valFraction)));
  return trainNormals - nVal;
}

export function estimateSeconds(cost: RunCost, epochs: number, trainImages: number): number {
  return cost.setupSeconds + epochs * cost.secondsPerImageEpoch * trainImages;
}

export interface PlanOptions {
  budgetSeconds: number;
  trainImages: number;
  sfadRandom: boolean;
  settings: Record<SubmodelRunId, RunSettings>;
  costs: Record<SubmodelRunId, RunCost>;
  /** Fixed epochs per kind (srad, lpd, sfad) instead of the budget's. */
  epochs?: Partial<Record<'srad' | 'lpd' | 'sfad', number>>;
}

/** Runs in training order: SRAD, LPD, SFAD on the LPD backbone (it needs LPD first), SFAD random. */
export function planCategory(opts: PlanOptions): RunPlan[] {
  const shares = SHARES[opts.sfadRandom ? 'with' : 'without'];
  const ids = Object.keys(shares) as SubmodelRunId[];
  const epochsFor = (id: SubmodelRunId, seconds: number): number => {
    const s = opts.settings[id];
    const fixed = opts.epochs?.[s.kind];
    if (fixed !== undefined) return fixed;
    const cost = opts.costs[id];
    const fit = Math.floor((seconds - cost.setupSeconds) / Math.max(cost.secondsPerImageEpoch * opts.trainImages, 1e-9));
    return Math.min(s.maxEpochs, Math.max(1, fit));
  };
  const plans = new Map<SubmodelRunId, RunPlan>();
  let used = 0;
  for (const id of ids.filter((x) => x !== 'srad')) {
    const epochs = epochsFor(id, (shares[id] ?? 0) * opts.budgetSeconds);
    const plannedSeconds = estimateSeconds(opts.costs[id], epochs, opts.trainImages);
    used += plannedSeconds;
    plans.set(id, { ...opts.settings[id], epochs, plannedSeconds });
  }
  const sradEpochs = epochsFor('srad', opts.budgetSeconds - used);
  plans.set('srad', { ...opts.settings.srad, epochs: sradEpochs, plannedSeconds: estimateSeconds(opts.costs.srad, sradEpochs, opts.trainImages) });
  return (['srad', 'lpd', 'sfad-lpd', 'sfad-random'] as const).filter((id) => plans.has(id)).map((id) => plans.get(id) as RunPlan);
}

/**
 * PatchCore (train-patchcore with its defaults: the nsfwjs MobileNetV2 + InceptionV3 ensemble at 256 px, backbones
 * through onnxruntime) costs one feature pass per backbone over every train normal (held-out ones included), a
 * coreset per member and the validation passes: setup + seconds per train normal. Measured CPU seconds
 * (2026-12-07, user + system, 1 thread): 179 s for the 213 transistor normals, 30 s for the 54 metal_plate ones
 * (bench/results/patchcore.md); the wall time on a loaded machine is a multiple of these.
 */
export const PATCHCORE_COST: RunCost = { setupSeconds: 10, secondsPerImageEpoch: 0.8 };

/** PatchCore's planned seconds: it has no epochs to fit, so it is planned on top of the --budget-minutes split. */
export function patchcorePlannedSeconds(trainNormals: number, cost: RunCost = PATCHCORE_COST): number {
  return estimateSeconds(cost, 1, trainNormals);
}
