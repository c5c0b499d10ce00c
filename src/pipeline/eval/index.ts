// The public metric API (pure functions on typed arrays): what infer, perfmap and evaluate call.
// Matching predictions to ground truth (gather/) and writing reports (report/) are not exported here.
export { curveFromScores, type CountCurve, type LabelArray, type ScoreArray } from './count-curve.js';
export { aurocOf, auproOf, averagePrecisionOf, f1MaxOf, prPoints, rocPoints, tprAtFprOf, type F1Max, type TprAtFpr } from './curve-metrics.js';
export { averagePrecision, f1Max, imageAuroc, tprAtFpr } from './image-metrics.js';
export { PixelCurveAccumulator, SHARED, aupro, pixelCurve, pixelMetrics, type PixelMetrics, type PixelSample } from './pixel-curve-accumulator.js';
export { labelRegions, type Regions } from './regions.js';
export { DEFAULT_TARGET_FPR, chooseThreshold, labelAt, type ThresholdChoice, type ThresholdInput } from './threshold.js';
