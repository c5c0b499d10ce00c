// The per-category choice of the performance map: objective = lambda * image AUROC + (1 - lambda) * Pixel-AP,
// argmax over the candidates, ties resolved by image AUROC and then by the order the models were given.
import { MadenetError } from '../core/errors.js';

export interface Scored {
  imageAuroc: number | null;
  pixelAp: number | null;
}

export interface Choice {
  /** Candidate indices, best first (unusable ones, with a null objective, are left out). */
  ranking: number[];
  objectives: (number | null)[];
  /** objective(best) - objective(second), or null with fewer than two usable candidates. */
  margin: number | null;
  tie: boolean;
}

export function checkLambda(lambda: number): number {
  if (!(lambda >= 0 && lambda <= 1)) {
    throw new MadenetError('E_USAGE', `--lambda is ${lambda}; expected a number in [0, 1] (weight of image AUROC against Pixel-AP).`);
  }
  return lambda;
}

/** Null when AUROC is unknown; AUROC alone when no validation defect has a mask (Pixel-AP unknown). */
export function objectiveOf(s: Scored, lambda: number): number | null {
  if (s.imageAuroc === null || !Number.isFinite(s.imageAuroc)) return null;
  if (s.pixelAp === null || !Number.isFinite(s.pixelAp)) return s.imageAuroc;
  return lambda * s.imageAuroc + (1 - lambda) * s.pixelAp;
}

export function choose(candidates: readonly Scored[], lambda: number): Choice {
  checkLambda(lambda);
  const objectives = candidates.map((c) => objectiveOf(c, lambda));
  const ranking = candidates
    .map((_, i) => i)
    .filter((i) => objectives[i] !== null)
    .sort((a, b) => {
      const d = (objectives[b] as number) - (objectives[a] as number);
      if (d !== 0) return d;
      const auroc = (candidates[b]?.imageAuroc as number) - (candidates[a]?.imageAuroc as number);
      return auroc !== 0 ? auroc : a - b;
    });
  if (ranking.length < 2) return { ranking, objectives, margin: null, tie: false };
  const best = objectives[ranking[0] as number] as number;
  const second = objectives[ranking[1] as number] as number;
  return { ranking, objectives, margin: best - second, tie: best === second };
}
