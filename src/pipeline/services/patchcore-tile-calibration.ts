// The tile calibration train-patchcore --tile records: the image score of every held-out normal tile (never in the
// bank), computed from the features already extracted for validation exactly as the detector scores a tile, then
// per-place statistics (io/tile-calibration). Infer and evaluate standardise each tile's score by them before the max.
import * as tf from '@tensorflow/tfjs';
import type { Sample } from '../io/dataset.js';
import { tileCalibration, type TileCalibration } from '../io/tile-calibration.js';
import { patchcoreAnomalyMap, patchcoreImageScore } from '../submodels/patchcore/model/anomaly-map.js';
import type { PatchcoreConfig } from '../submodels/patchcore/model/config.js';
import { patchcoreDistances, patchScoreTerm, type PatchcoreBanks } from '../submodels/patchcore/model/model.js';

/** One held-out tile's features ([h*w*D] patches, [G] global when used) -> its detector image score. */
export function scoreFromFeatures(f: Float32Array[], grid: [number, number, number], banks: PatchcoreBanks, cfg: PatchcoreConfig): number {
  const [h, w, d] = grid;
  const score = tf.tidy(() => {
    const patches = tf.tensor4d(f[0] as Float32Array, [1, h, w, d]);
    const g = banks.global && f[1] ? tf.tensor2d(f[1], [1, f[1].length]) : null;
    const r = patchcoreDistances({ patches, global: g }, banks);
    const maps = patchcoreAnomalyMap(r.patchDistances, cfg.imageSize, cfg.smoothingSigma);
    return patchcoreImageScore(patchScoreTerm(r.patchMax, maps, cfg), r.global, cfg.globalWeight, banks.norm);
  });
  const v = score.dataSync()[0] as number;
  score.dispose();
  return v;
}

/** Calibration of held-out normal tiles (samples with a region, features in the same order); null without tiles. */
export function patchcoreTileCalibration(held: readonly Sample[], features: readonly Float32Array[][], grid: [number, number, number], banks: PatchcoreBanks, cfg: PatchcoreConfig): TileCalibration | null {
  const scored: { region: NonNullable<Sample['region']>; score: number }[] = [];
  for (const [i, s] of held.entries()) {
    const f = features[i];
    if (!s.region || !f) continue;
    scored.push({ region: s.region, score: scoreFromFeatures(f, grid, banks, cfg) });
  }
  return tileCalibration(scored);
}
