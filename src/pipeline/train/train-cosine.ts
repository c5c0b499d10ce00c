// Cosine learning-rate decay as a pure function of the global step (CutPaste anneals its SGD rate this way).
// The loop applies it to the optimizer; nothing here touches tensors.

export interface CosineSchedule {
  baseLr: number;
  totalSteps: number;
  /** The rate the curve ends at (default 0). */
  minLr?: number;
}

/** lr(step) = min + (base - min) * (1 + cos(pi * step / total)) / 2, held at min past the end. */
export function cosineLr(s: CosineSchedule, step: number): number {
  const min = s.minLr ?? 0;
  const t = s.totalSteps <= 0 ? 1 : Math.min(1, Math.max(0, step / s.totalSteps));
  return min + ((s.baseLr - min) * (1 + Math.cos(Math.PI * t))) / 2;
}
