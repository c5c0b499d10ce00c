// SRAD hyper-parameters (HRNet encoder, decoder, U-Net detector, loss weights, score filter) and the
// paper/small/tiny presets, validated with E_CONFIG naming the field. Plain data only: nothing builds tensors.
import { configError, requireInt, requireNumber } from '../../../../models/components/backbone-config.js';
import { HRNET_TINY, HRNET_W32, hrnetInputDivisor, hrnetStages, type HrnetConfig } from '../../../../models/components/hrnet.js';
import { unetInputDivisor, type UnetConfig } from '../../../../models/components/unet.js';

export const SRAD_PRESETS = ['paper', 'small', 'tiny'] as const;
export type SradPresetName = (typeof SRAD_PRESETS)[number];

export interface SradDecoderConfig {
  /** Residual blocks (3x3 conv, BN, ReLU, 3x3 conv, BN, + identity, ReLU) on the HRNet concat (2 in the paper). */
  residualBlocks: number;
  /**
   * Width of a 1x1 conv + BN + ReLU applied to the HRNet concat before the residual blocks; 0 keeps the concat
   * width (the paper: 480 for W32). The residual blocks run at full 1/4 resolution, so on CPU their cost grows with
   * the square of this width: at 270 channels (W18) they are most of a training step.
   */
  channels?: number;
  /** Channels after the first 4x4 stride-2 transposed conv; the second one outputs 3. */
  upChannels: number;
  /** Activation of the reconstruction: sigmoid keeps it in [0,1] like the clean image; linear is DRAEM's choice. */
  output: 'sigmoid' | 'linear';
}

export interface SradDetectorConfig extends UnetConfig {
  /** 2: softmax over (normal, anomaly) as in DRAEM; 1: a sigmoid anomaly probability. */
  maskChannels: 1 | 2;
}

export interface SradLossConfig {
  /** Weight of the reconstruction terms (L2 + SSIM). */
  lambdaRec: number;
  /** Weight of the focal segmentation term. */
  lambdaSeg: number;
  /** Focal alpha on the anomaly class (1 - alpha on normal); negative disables class weighting (DRAEM). */
  focalAlpha: number;
  /** Focal gamma (2 in DRAEM / RetinaNet). */
  focalGamma: number;
  /** Side of the Gaussian SSIM window (sigma 1.5), odd. */
  ssimWindow: number;
}

export interface SradConfig {
  preset: SradPresetName;
  /** Square input side; a multiple of both the HRNet and the U-Net divisors. */
  imageSize: number;
  encoder: HrnetConfig;
  decoder: SradDecoderConfig;
  detector: SradDetectorConfig;
  loss: SradLossConfig;
  /** Side of the mean filter applied to the anomaly map before the image score's max (21 in DRAEM), odd. */
  scoreFilterSize: number;
  /** Seed of the weight initialisers. */
  seed: number;
}

export interface SradOverrides {
  preset?: SradPresetName;
  imageSize?: number;
  encoder?: Partial<HrnetConfig>;
  decoder?: Partial<SradDecoderConfig>;
  detector?: Partial<SradDetectorConfig>;
  loss?: Partial<SradLossConfig>;
  scoreFilterSize?: number;
  seed?: number;
}

const PAPER_LOSS: SradLossConfig = { lambdaRec: 1, lambdaSeg: 1, focalAlpha: -1, focalGamma: 2, ssimWindow: 11 };

// HRNetV2-W32 at 256 px; U-Net of the classic 64-channel, 4-pooling shape.
const PAPER: SradConfig = {
  preset: 'paper',
  imageSize: 256,
  encoder: HRNET_W32,
  decoder: { residualBlocks: 2, upChannels: 64, output: 'sigmoid' },
  detector: { baseChannels: 64, depth: 4, maskChannels: 2 },
  loss: PAPER_LOSS,
  scoreFilterSize: 21,
  seed: 0,
};

// The smaller presets keep the paper's loss (tiny: a smaller SSIM window), score filter and seed; the spread keeps
// the paper's key order, so a recorded config reads the same.
const PRESETS: Record<SradPresetName, SradConfig> = {
  paper: PAPER,
  // HRNet-W18-Small-v1 (stem 32, one 32-plane bottleneck, one module of one block per stage) at 128 px; the decoder
  // projects the 270-channel concat to 64 first (2.3x faster steps on CPU).
  small: {
    ...PAPER,
    preset: 'small',
    imageSize: 128,
    encoder: { stemChannels: 32, stage1Blocks: 1, stage1Planes: 32, width: 18, stages: hrnetStages(3) },
    decoder: { residualBlocks: 2, channels: 64, upChannels: 32, output: 'sigmoid' },
    detector: { baseChannels: 16, depth: 3, maskChannels: 2 },
  },
  // Three branches (1/4, 1/8, 1/16) of width 4; for tests at 32 px.
  tiny: {
    ...PAPER,
    preset: 'tiny',
    imageSize: 32,
    encoder: HRNET_TINY,
    decoder: { residualBlocks: 2, upChannels: 8, output: 'sigmoid' },
    detector: { baseChannels: 4, depth: 2, maskChannels: 2 },
    loss: { ...PAPER_LOSS, ssimWindow: 7 },
  },
};

/** A preset with overrides merged one level deep (arrays such as encoder.stages are replaced), then validated. */
export function sradPreset(name: SradPresetName, overrides: SradOverrides = {}): SradConfig {
  if (!(SRAD_PRESETS as readonly string[]).includes(name)) {
    throw configError('srad', 'preset', `one of ${SRAD_PRESETS.join(', ')}`, name);
  }
  const base = structuredClone(PRESETS[name]);
  const o = structuredClone(overrides);
  const cfg: SradConfig = {
    ...base,
    ...o,
    encoder: { ...base.encoder, ...o.encoder },
    decoder: { ...base.decoder, ...o.decoder },
    detector: { ...base.detector, ...o.detector },
    loss: { ...base.loss, ...o.loss },
  };
  validateSradConfig(cfg);
  return cfg;
}

export function validateSradConfig(cfg: SradConfig): void {
  const m = 'srad';
  const e = cfg.encoder;
  requireInt(m, 'encoder.stemChannels', e.stemChannels, 1, 4096);
  requireInt(m, 'encoder.stage1Blocks', e.stage1Blocks, 1, 64);
  requireInt(m, 'encoder.stage1Planes', e.stage1Planes, 1, 4096);
  requireInt(m, 'encoder.width', e.width, 1, 1024);
  if (!Array.isArray(e.stages) || e.stages.length < 1 || e.stages.length > 5) {
    throw configError(m, 'encoder.stages', 'a list of 1 to 5 stages {modules, blocks}', e.stages);
  }
  e.stages.forEach((s, i) => {
    requireInt(m, `encoder.stages[${i}].modules`, s?.modules, 1, 64);
    requireInt(m, `encoder.stages[${i}].blocks`, s?.blocks, 1, 64);
  });
  requireInt(m, 'decoder.residualBlocks', cfg.decoder.residualBlocks, 0, 64);
  requireInt(m, 'decoder.channels', cfg.decoder.channels ?? 0, 0, 4096);
  requireInt(m, 'decoder.upChannels', cfg.decoder.upChannels, 1, 4096);
  if (cfg.decoder.output !== 'sigmoid' && cfg.decoder.output !== 'linear') {
    throw configError(m, 'decoder.output', "'sigmoid' or 'linear'", cfg.decoder.output);
  }
  requireInt(m, 'detector.baseChannels', cfg.detector.baseChannels, 1, 4096);
  requireInt(m, 'detector.depth', cfg.detector.depth, 0, 8);
  if (cfg.detector.maskChannels !== 1 && cfg.detector.maskChannels !== 2) {
    throw configError(m, 'detector.maskChannels', '1 (sigmoid) or 2 (softmax)', cfg.detector.maskChannels);
  }
  const div = lcm(hrnetInputDivisor(e), unetInputDivisor(cfg.detector));
  if (!Number.isInteger(cfg.imageSize) || cfg.imageSize < div || cfg.imageSize % div !== 0) {
    throw configError(m, 'imageSize', `a positive multiple of ${div} (HRNet branches and U-Net poolings halve it)`, cfg.imageSize);
  }
  requireNumber(m, 'loss.lambdaRec', cfg.loss.lambdaRec, 0, 1e6);
  requireNumber(m, 'loss.lambdaSeg', cfg.loss.lambdaSeg, 0, 1e6);
  requireNumber(m, 'loss.focalAlpha', cfg.loss.focalAlpha, -1, 1);
  requireNumber(m, 'loss.focalGamma', cfg.loss.focalGamma, 0, 10);
  requireOdd(m, 'loss.ssimWindow', cfg.loss.ssimWindow, cfg.imageSize);
  requireOdd(m, 'scoreFilterSize', cfg.scoreFilterSize, 1023);
  requireInt(m, 'seed', cfg.seed, 0, 0xffffffff);
}

function requireOdd(model: string, field: string, value: number, max: number): void {
  if (!Number.isInteger(value) || value < 1 || value > max || value % 2 === 0) {
    throw configError(model, field, `an odd integer in [1, ${max}] (a centred window)`, value);
  }
}

function lcm(a: number, b: number): number {
  const gcd = (x: number, y: number): number => (y === 0 ? x : gcd(y, x % y));
  return (a / gcd(a, b)) * b;
}
