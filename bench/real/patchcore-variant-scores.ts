// The image-score arithmetic of patchcore-variants.ts, pure and separately tested: train-patchcore's
// standardisation of the patch and global terms on the held-out normals, and the two-backbone ensemble
// (the sum of each member's score standardised on the same held-out normals).

/** Per image of one set: the patch term per top fraction, the global kNN distance, the reweighting factor per b. */
export interface Scored {
  terms: Map<number, number[]>;
  global: number[];
  weights: Map<number, number[]>;
}

/** Mean and population spread (floored at 1e-6, as train-patchcore's MIN_SPREAD). */
export function meanStd(a: readonly number[]): [number, number] {
  const m = a.reduce((s, v) => s + v, 0) / a.length;
  return [m, Math.max(1e-6, Math.sqrt(a.reduce((s, v) => s + (v - m) ** 2, 0) / a.length))];
}

/**
 * Image scores of `set` for one variant: the patch term (times the reweighting factor), alone when the global
 * weight is 0, else (p - mu_p)/sd_p + gw (g - mu_g)/sd_g with mu/sd from the held-out normals (patchcoreImageScore).
 */
export function variantScores(held: Scored, set: Scored, top: number, gw: number, rw: number): number[] {
  const p = (s: Scored): number[] => {
    const t = s.terms.get(top);
    const w = s.weights.get(rw);
    if (!t || !w) throw new Error(`variant not scored: top ${top}, reweight ${rw}`);
    return t.map((v, i) => v * (w[i] as number));
  };
  if (gw === 0) return p(set);
  const [pm, ps] = meanStd(p(held));
  const [gm, gs] = meanStd(held.global);
  const ps2 = p(set);
  return set.global.map((g, i) => ((ps2[i] as number) - pm) / ps + (gw * (g - gm)) / gs);
}

/** Ensemble scores: sum over members of (x - mean(held))/sd(held); every member scores the same images in the same order. */
export function ensembleScores(members: readonly { held: readonly number[]; x: readonly number[] }[]): number[] {
  const first = members[0];
  if (!first) throw new Error('an ensemble needs at least one member');
  if (members.some((m) => m.x.length !== first.x.length)) throw new Error('ensemble members scored different numbers of images');
  const z = members.map((m) => {
    const [mu, sd] = meanStd(m.held);
    return m.x.map((v) => (v - mu) / sd);
  });
  return first.x.map((_, i) => z.reduce((s, a) => s + (a[i] as number), 0));
}
