// ISM pre-classifier hyper-parameters (EfficientNet variant, input size, regularisation) and the paper/small/tiny
// presets, validated with E_CONFIG naming the field. Plain data only: nothing here builds tensors.
import { configError, requireInt, requireNumber } from '../components/backbone-config.js';
import {
  EFFICIENTNET_SCALING,
  EFFICIENTNET_VARIANTS,
  type EfficientNetSpec,
  type EfficientNetVariant,
} from '../components/efficientnet.js';

export const CLASSIFIER_PRESETS = ['paper', 'small', 'tiny'] as const;
export type ClassifierPresetName = (typeof CLASSIFIER_PRESETS)[number];

export interface ClassifierConfig {
  preset: ClassifierPresetName;
  /** A named B0-B4 scaling, or 'custom' when widthMult/depthMult are set by hand (the tiny preset). */
  variant: EfficientNetVariant | 'custom';
  backbone: EfficientNetSpec;
  /** Square input side in pixels (the paper's resolution for the named variant unless overridden). */
  imageSize: number;
  /** Dropout before the classifier layer. */
  dropRate: number;
  /** Label smoothing of the cross-entropy (timm's default 0.1). */
  labelSmoothing: number;
  /** Seed of the weight initialisers and dropout masks. */
  seed: number;
  /**
   * A packaged pretrained network (`npm:<package>/<net>`) as the body instead of the EfficientNet, cut at
   * `networkLayer`; variant and backbone then describe nothing built. Absent in EfficientNet classifiers.
   */
  network?: `npm:${string}`;
  networkLayer?: string;
}

export type ClassifierOverrides = Partial<Omit<ClassifierConfig, 'backbone'>> & { backbone?: Partial<EfficientNetSpec> };

const PRESETS: Record<ClassifierPresetName, ClassifierConfig> = {
  // B4 at 380 px as in the paper; drop-path 0.2 is timm's default for efficientnet_b*.
  paper: variantConfig('paper', 'b4', 0.2),
  // B0 at 128 px: the smallest real EfficientNet at a size a CPU trains in minutes.
  small: { ...variantConfig('small', 'b0', 0.1), imageSize: 128 },
  // Width 0.25 / depth 0.25 keeps every stage (one block each, >= 8 channels) for shape and step tests at 32 px.
  tiny: {
    preset: 'tiny',
    variant: 'custom',
    backbone: { widthMult: 0.25, depthMult: 0.25, dropPathRate: 0 },
    imageSize: 32,
    dropRate: 0,
    labelSmoothing: 0.1,
    seed: 0,
  },
};

function variantConfig(preset: ClassifierPresetName, variant: EfficientNetVariant, dropPathRate: number): ClassifierConfig {
  const s = EFFICIENTNET_SCALING[variant];
  return {
    preset,
    variant,
    backbone: { widthMult: s.widthMult, depthMult: s.depthMult, dropPathRate },
    imageSize: s.resolution,
    dropRate: s.dropRate,
    labelSmoothing: 0.1,
    seed: 0,
  };
}

/**
 * A preset with overrides applied and validated. Overriding `variant` with b0-b4 takes that variant's scaling,
 * resolution and dropout (unless those are overridden too); hand-set multipliers that match no variant make
 * it 'custom'.
 */
export function classifierPreset(name: ClassifierPresetName, overrides: ClassifierOverrides = {}): ClassifierConfig {
  if (!(CLASSIFIER_PRESETS as readonly string[]).includes(name)) {
    throw configError('classifier', 'preset', `one of ${CLASSIFIER_PRESETS.join(', ')}`, name);
  }
  let base: ClassifierConfig = structuredClone(PRESETS[name]);
  const v = overrides.variant;
  if (v !== undefined && v !== 'custom') {
    if (!(EFFICIENTNET_VARIANTS as readonly string[]).includes(v)) {
      throw configError('classifier', 'variant', `one of ${EFFICIENTNET_VARIANTS.join(', ')}, custom`, v);
    }
    base = { ...variantConfig(name, v, base.backbone.dropPathRate), labelSmoothing: base.labelSmoothing, seed: base.seed };
  }
  const { backbone, ...rest } = overrides;
  const cfg: ClassifierConfig = { ...base, ...rest, backbone: { ...base.backbone, ...backbone } };
  if (cfg.variant !== 'custom') {
    const s = EFFICIENTNET_SCALING[cfg.variant];
    if (s === undefined) throw configError('classifier', 'variant', `one of ${EFFICIENTNET_VARIANTS.join(', ')}, custom`, cfg.variant);
    if (s.widthMult !== cfg.backbone.widthMult || s.depthMult !== cfg.backbone.depthMult) cfg.variant = 'custom';
  }
  validateClassifierConfig(cfg);
  return cfg;
}

export function validateClassifierConfig(cfg: ClassifierConfig): void {
  const m = 'classifier';
  requireNumber(m, 'backbone.widthMult', cfg.backbone.widthMult, 0, 4, true);
  requireNumber(m, 'backbone.depthMult', cfg.backbone.depthMult, 0, 4, true);
  requireNumber(m, 'backbone.dropPathRate', cfg.backbone.dropPathRate, 0, 0.95);
  // Five stride-2 stages: 32 px is the smallest side that keeps every stage at least 1x1.
  requireInt(m, 'imageSize', cfg.imageSize, 32, 4096);
  requireNumber(m, 'dropRate', cfg.dropRate, 0, 0.95);
  requireNumber(m, 'labelSmoothing', cfg.labelSmoothing, 0, 0.99);
  requireInt(m, 'seed', cfg.seed, 0, 0xffffffff);
}
