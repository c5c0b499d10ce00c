// LPD (CutPaste-style) hyper-parameters and the paper/small/tiny presets, validated with E_CONFIG.
// Plain data only: nothing here builds tensors.
import type { ResNetArch } from '../../../../models/components/resnet.js';
import { configError, requireBackbone, requireInt, requireNumber } from '../../../../models/components/backbone-config.js';

export const LPD_PRESETS = ['paper', 'small', 'tiny'] as const;
export type LpdPresetName = (typeof LPD_PRESETS)[number];

export interface LpdConfig {
  preset: LpdPresetName;
  /** Backbone trained end to end with the head; its weights can later serve as `--backbone` elsewhere. */
  backbone: ResNetArch;
  /** Square input size in pixels (multiple of 32). */
  imageSize: number;
  /** Hidden widths of the head's FC -> BN -> ReLU -> dropout blocks, before the 1-unit sigmoid output. */
  headHidden: number[];
  dropout: number;
  /** Backbone stages whose aggregated maps are the GDE patch embeddings. */
  gdeLayers: string[];
  /** Channels of the patch embeddings after the fixed adaptive-average projection. */
  gdeDim: number;
  /** Covariance shrinkage alpha towards (trace/D) I, plus gdeEpsilon I, so that few images still invert. */
  gdeShrinkage: number;
  gdeEpsilon: number;
  /** Local neighbourhood of the patch embeddings (as in SFAD). */
  patchSize: number;
  /** Gaussian sigma (pixels at 288 px, scaled with imageSize) that smooths the anomaly map. */
  smoothingSigma: number;
  epochs: number;
  /** Images per step, half normal and half CutPaste-augmented. */
  batchSize: number;
  /** SGD with momentum and cosine decay, as CutPaste (lr 0.03, momentum 0.9, weight decay 3e-5). */
  learningRate: number;
  momentum: number;
  weightDecay: number;
}

const PAPER: LpdConfig = {
  preset: 'paper',
  backbone: 'resnet50',
  imageSize: 256,
  headHidden: [512, 128],
  dropout: 0.1,
  gdeLayers: ['layer2', 'layer3'],
  gdeDim: 100,
  gdeShrinkage: 0.1,
  gdeEpsilon: 0.01,
  patchSize: 3,
  smoothingSigma: 4,
  epochs: 256,
  batchSize: 64,
  learningRate: 0.03,
  momentum: 0.9,
  weightDecay: 3e-5,
};

const PRESETS: Record<LpdPresetName, LpdConfig> = {
  paper: PAPER,
  // layer1 + layer2 at 128 px and below: stride-4 embeddings see the small defects (scratches, solder balls, a
  // missing polarity dot) that stride-8/16 ones average away. Demo test image AUROC, same networks, GDE refitted:
  // tiny 128 px BGA 0.903 -> 0.993, QFN 0.868 -> 0.979; small 128 px BGA 0.953 -> 0.984 (submodels/lpd/train/README.md).
  // The paper preset keeps layer2 + layer3: at 256 px, layer1's 64 x 64 locations x 100^2 would be 164 MB of GDE.
  small: { ...PAPER, preset: 'small', backbone: 'resnet18', imageSize: 128, headHidden: [256, 64], gdeLayers: ['layer1', 'layer2'], gdeDim: 64, epochs: 40, batchSize: 32, learningRate: 0.01 },
  tiny: { ...PAPER, preset: 'tiny', backbone: 'resnet_tiny', imageSize: 64, headHidden: [32], gdeLayers: ['layer1', 'layer2'], gdeDim: 32, epochs: 4, batchSize: 8, learningRate: 0.01 },
};

/** A preset with overrides applied, validated. Unknown preset names list the available ones. */
export function lpdPreset(name: string, overrides: Partial<Omit<LpdConfig, 'preset'>> = {}): LpdConfig {
  if (!(LPD_PRESETS as readonly string[]).includes(name)) throw configError('LPD', 'preset', `one of ${LPD_PRESETS.join(', ')}`, name);
  const base = PRESETS[name as LpdPresetName];
  const defined = Object.fromEntries(Object.entries(overrides).filter(([, v]) => v !== undefined)) as Partial<LpdConfig>;
  const cfg: LpdConfig = {
    ...base,
    ...defined,
    headHidden: [...(defined.headHidden ?? base.headHidden)],
    gdeLayers: [...(defined.gdeLayers ?? base.gdeLayers)],
  };
  validateLpdConfig(cfg);
  return cfg;
}

export function validateLpdConfig(cfg: LpdConfig): void {
  requireBackbone('LPD', cfg.backbone, cfg.gdeLayers, cfg.imageSize, 'gdeLayers');
  if (cfg.headHidden.some((h) => !Number.isInteger(h) || h < 1 || h > 16384)) {
    throw configError('LPD', 'headHidden', 'a list of integers in [1, 16384]', cfg.headHidden);
  }
  requireNumber('LPD', 'dropout', cfg.dropout, 0, 0.95);
  requireInt('LPD', 'gdeDim', cfg.gdeDim, 1, 1024);
  requireNumber('LPD', 'gdeShrinkage', cfg.gdeShrinkage, 0, 1);
  requireNumber('LPD', 'gdeEpsilon', cfg.gdeEpsilon, 0, 100, true);
  requireInt('LPD', 'patchSize', cfg.patchSize, 1, 15);
  if (cfg.patchSize % 2 === 0) throw configError('LPD', 'patchSize', 'an odd integer (the window is centred)', cfg.patchSize);
  requireNumber('LPD', 'smoothingSigma', cfg.smoothingSigma, 0, 100);
  requireInt('LPD', 'epochs', cfg.epochs, 1);
  requireInt('LPD', 'batchSize', cfg.batchSize, 2, 4096);
  requireNumber('LPD', 'learningRate', cfg.learningRate, 0, 10, true);
  requireNumber('LPD', 'momentum', cfg.momentum, 0, 0.999);
  requireNumber('LPD', 'weightDecay', cfg.weightDecay, 0, 1);
}
