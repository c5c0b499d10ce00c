// Per-position calibration of tile scores. A tiled image score is the highest of its tiles' scores, but tiles of
// different places hold different content (a part's body, its leads, the board's edge) and so different normal
// score levels: the max over raw scores is then decided by the noisiest place of every image, normal or not, and a
// small defect in a quiet place loses to it. Standardising each tile's score by the mean and spread that tiles of
// the same place (the same region) reach on held-out normals puts every place in units of its own normal spread.
// Few held-out images give few scores per place, so each place's statistics are shrunk towards the pooled ones
// (a prior of PRIOR_WEIGHT pseudo-observations); a place never seen (another image size) uses the pooled ones.
import { MadenetError } from '../core/errors.js';
import { meanAndSpread, MIN_SPREAD } from '../core/moments.js';
import type { PixelRegion } from './decode.js';

/** Pseudo-observations of the pooled mean and variance added to each place's own. */
export const PRIOR_WEIGHT = 2;

export interface TileCalibration {
  /** Pooled mean and spread of every held-out normal tile score. */
  mean: number;
  std: number;
  prior: number;
  /** Per place (tile region in source pixels): scores seen, shrunk mean and spread. */
  regions: { left: number; top: number; width: number; height: number; n: number; mean: number; std: number }[];
}

/** One tile place: a region in source pixels (tiles of every image at the same place share it). */
export const placeKey = (r: PixelRegion): string => `${r.left},${r.top},${r.width},${r.height}`;

/** Calibration from held-out normal tiles' scores (their regions: the place of each); null when fewer than 2 scores. */
export function tileCalibration(scored: readonly { region: PixelRegion; score: number }[], prior = PRIOR_WEIGHT): TileCalibration | null {
  const finite = scored.filter((s) => Number.isFinite(s.score));
  if (finite.length < 2) return null;
  if (!(prior >= 0)) throw new MadenetError('E_USAGE', `Tile calibration prior is ${prior}; expected a number >= 0.`);
  const pooled = meanAndSpread(finite.map((s) => s.score));
  const { mean, variance } = pooled;
  const places = new Map<string, { region: PixelRegion; scores: number[] }>();
  for (const s of finite) {
    const k = placeKey(s.region);
    const p = places.get(k) ?? { region: s.region, scores: [] };
    p.scores.push(s.score);
    places.set(k, p);
  }
  const regions = [...places.values()]
    .map(({ region, scores }) => {
      const n = scores.length;
      const m = scores.reduce((s, v) => s + v, 0) / n;
      const shrunkMean = (n * m + prior * mean) / (n + prior);
      // Own squared deviations about the shrunk mean, plus the pooled variance as the prior's.
      const own = scores.reduce((s, v) => s + (v - shrunkMean) ** 2, 0);
      const std = Math.max(MIN_SPREAD, Math.sqrt((own + prior * variance) / (n + prior)));
      return { left: region.left, top: region.top, width: region.width, height: region.height, n, mean: shrunkMean, std };
    })
    .sort((a, b) => a.top - b.top || a.left - b.left || a.width - b.width || a.height - b.height);
  return { mean, std: pooled.std, prior, regions };
}

/** Looks regions up by place; built once per calibration. */
export function tileCalibrator(cal: TileCalibration): (region: PixelRegion, score: number) => number {
  const byPlace = new Map(cal.regions.map((r) => [placeKey(r), r]));
  return (region, score) => {
    const r = byPlace.get(placeKey(region));
    return r ? (score - r.mean) / r.std : (score - cal.mean) / cal.std;
  };
}

/** Checks a calibration read back from an artifact (E_ARTIFACT on a malformed one). */
export function checkTileCalibration(cal: unknown, where: string): TileCalibration {
  const c = cal as Partial<TileCalibration> | null;
  const ok =
    c !== null &&
    typeof c === 'object' &&
    Number.isFinite(c.mean) &&
    Number.isFinite(c.std) &&
    (c.std as number) > 0 &&
    Array.isArray(c.regions) &&
    c.regions.every((r) => [r.left, r.top, r.width, r.height, r.n, r.mean, r.std].every(Number.isFinite) && r.std > 0);
  if (!ok) throw new MadenetError('E_ARTIFACT', `${where} has a malformed tile calibration (${JSON.stringify(cal)?.slice(0, 200)}); expected { mean, std > 0, regions: [{ left, top, width, height, n, mean, std > 0 }] }.`);
  return c as TileCalibration;
}
