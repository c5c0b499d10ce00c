// The synthesis library in one import: Perlin masks, foreground masks, textures, DRAEM/MSTUnet anomalies,
// CutPaste and its perceptibility gate, contact sheets. Pure functions on RgbImage/Mask; no tensors.
export { perlinMask, perlinMaskDetailed, perlinNoise, type PerlinMaskOptions, type PerlinParams } from './perlin.js';
export { foregroundMask, foregroundMaskDetailed, otsu, otsu3, type ForegroundOptions, type ForegroundResult } from './foreground.js';
export { TextureBank, type TextureBankOptions } from './texture-bank.js';
export { augmentTexture, applyAugment, AUGMENT_NAMES, type AugmentName, type AugmentOp } from './augment.js';
export { structuralSource, recombine, type StructuralParams } from './structural.js';
export {
  synthesizeAnomaly,
  synthesizeAnomalyFromSeed,
  blendUnderMask,
  type AnomalyKind,
  type SynthesizeOptions,
  type SynthParams,
  type SynthSample,
} from './anomaly.js';
export {
  cutPaste,
  cutPasteFromSeed,
  type CutPasteOptions,
  type CutPasteParams,
  type CutPasteResult,
  type CutPasteVariant,
} from './cutpaste.js';
export { perceptibility, isImperceptible, DEFAULT_GATE, type GateOptions, type Perceptibility, type Rect } from './perceptibility.js';
export { contactSheet, overlay } from './contact-sheet.js';
