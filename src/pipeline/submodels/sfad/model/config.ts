// SFAD (SimpleNet-style) hyper-parameters and the paper/small/tiny presets, validated with E_CONFIG.
// Plain data only: nothing here builds tensors.
import type { ResNetArch } from '../../../../models/components/resnet.js';
import { configError, requireBackbone, requireInt, requireNumber } from '../../../../models/components/backbone-config.js';

export const SFAD_PRESETS = ['paper', 'small', 'tiny'] as const;
export type SfadPresetName = (typeof SFAD_PRESETS)[number];

/** A network an npm package ships (`npm:<package>/<net>`, see pipeline/weights/npm-backbone.ts). */
export type PackagedBackboneId = `npm:${string}`;

export function isPackagedBackbone(backbone: string): backbone is PackagedBackboneId {
  return backbone.startsWith('npm:');
}

export interface SfadConfig {
  preset: SfadPresetName;
  /**
   * Backbone architecture (frozen): a ResNet whose weights come from `--backbone` (artifact, LPD artifact or
   * random), or a packaged network id, whose weights are the package's own.
   */
  backbone: ResNetArch | PackagedBackboneId;
  /** Layers whose maps are aggregated: ResNet stages (SimpleNet: layer2 + layer3) or a packaged network's layer names. */
  layers: string[];
  /** Square input size in pixels (multiple of 32). */
  imageSize: number;
  /** Local neighbourhood p of the 3x3 average aggregation. */
  patchSize: number;
  /** D: channels after the fixed adaptive-average projection (= adaptor width). */
  featureDim: number;
  /** Std of the isotropic Gaussian noise that makes anomalous features. */
  noiseStd: number;
  /**
   * Train on per-channel standardised features (statistics of the training features, folded into the saved
   * adaptor, see standardize.ts), so that noiseStd is a share of every channel's spread. SimpleNet does not (its
   * 0.015 fits ImageNet features); absent in artifacts written before the option, which means false.
   */
  standardize?: boolean;
  /** Hidden units of the discriminator MLP. */
  discriminatorHidden: number;
  /** Margin m of the truncated L1 loss. */
  margin: number;
  /** Gaussian sigma (pixels at 288 px, scaled with imageSize) that smooths the anomaly map. */
  smoothingSigma: number;
  epochs: number;
  batchSize: number;
  /** Adam learning rates (SimpleNet: adaptor 1e-4, discriminator 2e-4) and the discriminator's weight decay. */
  lrAdaptor: number;
  lrDiscriminator: number;
  weightDecay: number;
}

const PAPER: SfadConfig = {
  preset: 'paper',
  backbone: 'wide_resnet50_2',
  layers: ['layer2', 'layer3'],
  imageSize: 288,
  patchSize: 3,
  featureDim: 1536,
  noiseStd: 0.015,
  standardize: false,
  discriminatorHidden: 1024,
  margin: 0.5,
  smoothingSigma: 4,
  epochs: 160,
  batchSize: 8,
  lrAdaptor: 1e-4,
  lrDiscriminator: 2e-4,
  weightDecay: 1e-5,
};

const PRESETS: Record<SfadPresetName, SfadConfig> = {
  paper: PAPER,
  // Without ImageNet weights (random or LPD backbones) SimpleNet's 0.015 on raw features is 2-17% of some
  // backbones' spread and 10x more of others'; small and tiny standardise and use a share of each channel's spread,
  // with a rate for a few hundred steps instead of SimpleNet's thousands (measured in src/pipeline/submodels/sfad/train/README.md).
  small: {
    ...PAPER,
    preset: 'small',
    backbone: 'resnet18',
    imageSize: 128,
    featureDim: 384,
    discriminatorHidden: 256,
    epochs: 40,
    standardize: true,
    noiseStd: 0.2,
    lrAdaptor: 5e-4,
    lrDiscriminator: 1e-3,
  },
  tiny: {
    ...PAPER,
    preset: 'tiny',
    backbone: 'resnet_tiny',
    imageSize: 64,
    featureDim: 64,
    discriminatorHidden: 32,
    epochs: 4,
    batchSize: 4,
    standardize: true,
    noiseStd: 0.2,
    lrAdaptor: 5e-4,
    lrDiscriminator: 1e-3,
  },
};

/** A preset with overrides applied, validated. Unknown preset names list the available ones. */
export function sfadPreset(name: string, overrides: Partial<Omit<SfadConfig, 'preset'>> = {}): SfadConfig {
  if (!(SFAD_PRESETS as readonly string[]).includes(name)) throw configError('SFAD', 'preset', `one of ${SFAD_PRESETS.join(', ')}`, name);
  const base = PRESETS[name as SfadPresetName];
  const cfg: SfadConfig = { ...base, ...stripUndefined(overrides), layers: [...(overrides.layers ?? base.layers)] };
  validateSfadConfig(cfg);
  return cfg;
}

export function validateSfadConfig(cfg: SfadConfig): void {
  if (isPackagedBackbone(cfg.backbone)) {
    // The layer names are checked against the network when it is loaded (npm-backbone.ts), which knows them.
    if (cfg.layers.length === 0 || new Set(cfg.layers).size !== cfg.layers.length) throw configError('SFAD', 'layers', 'distinct layer names of the packaged network', cfg.layers);
    if (!Number.isInteger(cfg.imageSize) || cfg.imageSize < 32 || cfg.imageSize % 32 !== 0) {
      throw configError('SFAD', 'imageSize', 'a multiple of 32 (the network downsamples 32x), at least 32', cfg.imageSize);
    }
  } else {
    requireBackbone('SFAD', cfg.backbone, cfg.layers, cfg.imageSize);
  }
  requireInt('SFAD', 'patchSize', cfg.patchSize, 1, 15);
  if (cfg.patchSize % 2 === 0) throw configError('SFAD', 'patchSize', 'an odd integer (the window is centred)', cfg.patchSize);
  requireInt('SFAD', 'featureDim', cfg.featureDim, 1, 8192);
  requireNumber('SFAD', 'noiseStd', cfg.noiseStd, 0, 10, true);
  if (cfg.standardize !== undefined && typeof cfg.standardize !== 'boolean') throw configError('SFAD', 'standardize', 'true or false', cfg.standardize);
  requireInt('SFAD', 'discriminatorHidden', cfg.discriminatorHidden, 1, 16384);
  requireNumber('SFAD', 'margin', cfg.margin, 0, 100, true);
  requireNumber('SFAD', 'smoothingSigma', cfg.smoothingSigma, 0, 100);
  requireInt('SFAD', 'epochs', cfg.epochs, 1);
  requireInt('SFAD', 'batchSize', cfg.batchSize, 1, 4096);
  requireNumber('SFAD', 'lrAdaptor', cfg.lrAdaptor, 0, 1, true);
  requireNumber('SFAD', 'lrDiscriminator', cfg.lrDiscriminator, 0, 1, true);
  requireNumber('SFAD', 'weightDecay', cfg.weightDecay, 0, 1);
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
