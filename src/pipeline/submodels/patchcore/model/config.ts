// PatchCore (memory-bank) hyper-parameters, validated with E_CONFIG. Plain data only: nothing here builds
// tensors, and which backbone the layer names belong to is recorded, not resolved, here.
import { configError, requireInt, requireNumber } from '../../../../models/components/backbone-config.js';

export interface PatchcoreConfig {
  /** Backbone registry id the features come from (e.g. `npm:nsfwjs/mobilenet_v2`, `random`, an artifact path). */
  backbone: string;
  /** Backbone layers whose maps make the patch features, shallow first; the first sets the grid. */
  layers: string[];
  /** A layer whose spatial mean is a whole-image descriptor scored by its own kNN, or null for none. */
  globalLayer: string | null;
  /** Weight of the standardised global kNN distance in the image score (0 = patch score alone). */
  globalWeight: number;
  /**
   * Weight of the patch position appended to every patch feature (row and column as fractions of the image
   * side, times this weight; 0 = none). Makes the nearest neighbour location-aware for aligned parts: a missing
   * or bent lead looks like background, which the bank holds, but not background at that place.
   */
  positionWeight: number;
  /**
   * Patch term of the image score: 0 = the max raw patch distance (PatchCore); > 0 = the mean of this top
   * fraction of the smoothed anomaly map's pixels, which one noisy patch of a normal image moves less.
   */
  scoreTopFraction: number;
  /** Square input size in pixels. */
  imageSize: number;
  /** Local neighbourhood of the average pooling (PatchCore: 3). */
  patchSize: number;
  /** Share of the train patches the greedy coreset keeps (PatchCore: 0.01-0.1). */
  coresetRatio: number;
  /** Upper bound on the bank rows, whatever the ratio (bounds memory and kNN time). */
  maxBankRows: number;
  /** Random projection dimension used while choosing the coreset (distances only). */
  projectionDim: number;
  /** Gaussian sigma (pixels at 288 px, scaled with imageSize) smoothing the upsampled map (PatchCore: 4). */
  smoothingSigma: number;
}

export const PATCHCORE_DEFAULTS: PatchcoreConfig = {
  backbone: 'npm:nsfwjs/mobilenet_v2',
  layers: ['block_5_add', 'block_12_add'],
  globalLayer: 'out_relu',
  globalWeight: 0,
  positionWeight: 128,
  scoreTopFraction: 0.1,
  imageSize: 256,
  patchSize: 3,
  coresetRatio: 0.01,
  maxBankRows: 16384,
  projectionDim: 128,
  smoothingSigma: 4,
};

/**
 * scoreTopFraction when training on tiles (--tile): a 6-19 px defect covers about 1% of a 128 px tile, so the mean of
 * the top 10% of a tile's map dilutes it ~10x. On two validation sets of demo DPAK panels (512 px, 128 px tiles at
 * 256 px, tile calibration on, 6 bank images) the top 1% ranked a little better: image AUROC 0.80 and 0.88 against
 * 0.79 and 0.85 for the top 10% (bench/results/tiling.md).
 */
export const TILED_SCORE_TOP_FRACTION = 0.01;

/**
 * Per-backbone defaults, the one table train-patchcore (and every ensemble member) takes layers and position
 * weight from when no flag says otherwise; chosen on validation (bench/results/patchcore.md): position channels
 * help MobileNetV2 (0.9789 -> 0.9800 at 128) and hurt InceptionV3 (0.9800 at 0, 0.9724 at 128). A backbone not
 * listed takes the registry's default layers (`madenet weights list`) and PATCHCORE_DEFAULTS.positionWeight.
 */
export const PATCHCORE_BACKBONE_DEFAULTS: Readonly<Record<string, { layers: readonly string[]; positionWeight: number }>> = {
  'npm:nsfwjs/mobilenet_v2': { layers: ['block_5_add', 'block_12_add'], positionWeight: 128 },
  'npm:nsfwjs/inception_v3': { layers: ['mixed2', 'mixed5'], positionWeight: 0 },
};

export function patchcoreConfig(overrides: Partial<PatchcoreConfig> = {}): PatchcoreConfig {
  const cfg: PatchcoreConfig = { ...PATCHCORE_DEFAULTS, ...Object.fromEntries(Object.entries(overrides).filter(([, v]) => v !== undefined)) };
  validatePatchcoreConfig(cfg);
  return cfg;
}

export function validatePatchcoreConfig(cfg: PatchcoreConfig): void {
  if (typeof cfg.backbone !== 'string' || cfg.backbone.length === 0) throw configError('PatchCore', 'backbone', 'a backbone id', cfg.backbone);
  if (!Array.isArray(cfg.layers) || cfg.layers.length === 0 || !cfg.layers.every((l) => typeof l === 'string' && l.length > 0)) {
    throw configError('PatchCore', 'layers', 'one or more layer names', cfg.layers);
  }
  // Each layer is one output of the feature extractor: a repeated name (or a global layer that is also a patch
  // layer) would leave an output slot empty and crash deep in the pooling.
  if (new Set(cfg.layers).size !== cfg.layers.length) throw configError('PatchCore', 'layers', 'distinct layer names', cfg.layers);
  if (cfg.globalLayer !== null && (typeof cfg.globalLayer !== 'string' || cfg.globalLayer.length === 0)) throw configError('PatchCore', 'globalLayer', 'a layer name or null', cfg.globalLayer);
  if (cfg.globalLayer !== null && cfg.layers.includes(cfg.globalLayer)) throw configError('PatchCore', 'globalLayer', `a layer other than the patch layers (${cfg.layers.join(', ')})`, cfg.globalLayer);
  requireNumber('PatchCore', 'globalWeight', cfg.globalWeight, 0, 100);
  requireNumber('PatchCore', 'positionWeight', cfg.positionWeight, 0, 10_000);
  requireNumber('PatchCore', 'scoreTopFraction', cfg.scoreTopFraction, 0, 1);
  requireInt('PatchCore', 'imageSize', cfg.imageSize, 32, 4096);
  requireInt('PatchCore', 'patchSize', cfg.patchSize, 1, 15);
  if (cfg.patchSize % 2 === 0) throw configError('PatchCore', 'patchSize', 'an odd integer (the window is centred)', cfg.patchSize);
  requireNumber('PatchCore', 'coresetRatio', cfg.coresetRatio, 0, 1, true);
  requireInt('PatchCore', 'maxBankRows', cfg.maxBankRows, 1, 10_000_000);
  requireInt('PatchCore', 'projectionDim', cfg.projectionDim, 0, 65536);
  requireNumber('PatchCore', 'smoothingSigma', cfg.smoothingSigma, 0, 100);
}

/** Bank rows kept from `rows` train patches: ceil(ratio x rows), at least 1, at most maxBankRows. */
export function coresetSize(cfg: Pick<PatchcoreConfig, 'coresetRatio' | 'maxBankRows'>, rows: number): number {
  return Math.max(1, Math.min(cfg.maxBankRows, rows, Math.ceil(cfg.coresetRatio * rows)));
}
