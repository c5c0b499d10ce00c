// Mean and spread of a list of scores, as the score standardisations use them (PatchCore's two image-score terms,
// an ensemble's members, tile places): population variance, and a spread floored at MIN_SPREAD because a hold-out
// of identical images has none and every caller divides by it.

/** Smallest spread a standardisation divides by. */
export const MIN_SPREAD = 1e-6;

/** Mean, population variance and floored spread (sqrt of the variance, at least MIN_SPREAD); NaN mean for no values. */
export function meanAndSpread(values: readonly number[]): { mean: number; variance: number; std: number } {
  const mean = values.reduce((s, v) => s + v, 0) / values.length;
  const variance = values.reduce((s, v) => s + (v - mean) ** 2, 0) / values.length;
  return { mean, variance, std: Math.max(MIN_SPREAD, Math.sqrt(variance)) };
}
