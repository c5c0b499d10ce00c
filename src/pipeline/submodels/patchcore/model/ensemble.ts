// How a PatchCore ensemble combines its members, written once for both forms its outputs take: tensors (the tfjs
// Detector, ensemble-detector.ts) and typed arrays (the async detector of training's validation and of onnxruntime
// inference). Each member i is standardised by what the held-out train normals gave it:
//   score = sum_i (s_i - mu_i) / sd_i     (mu, sd: member i's image scores of the held-out normals)
//   map   = sum_i map_i / c_i             (c_i: the mean max of member i's held-out normal maps; stays >= 0)
// so that neither backbone's distance scale dominates.
import * as tf from '@tensorflow/tfjs';
import { MadenetError } from '../../../core/errors.js';

/** One member's standardisation (recorded in the ensemble artifact's config). */
export interface EnsembleStandardisation {
  scoreMean: number;
  scoreStd: number;
  mapScale: number;
}

/** The two operations the combination needs, for one representation of scores and maps. */
export interface EnsembleArithmetic<T> {
  /** (x - mean) / spread, elementwise. */
  standardise(x: T, mean: number, spread: number): T;
  /** Elementwise sum of equally shaped values. */
  sum(xs: T[]): T;
}

/** The members' outputs (in member order) combined into the ensemble's. */
export function combineEnsemble<T>(outs: readonly { scores: T; maps: T }[], members: readonly EnsembleStandardisation[], ops: EnsembleArithmetic<T>): { scores: T; maps: T } {
  if (outs.length !== members.length || outs.length === 0) {
    throw new MadenetError('E_INTERNAL', `A PatchCore ensemble combined ${outs.length} outputs for ${members.length} members; expected one per member, at least one.`);
  }
  const m = (i: number): EnsembleStandardisation => members[i] as EnsembleStandardisation;
  return {
    scores: ops.sum(outs.map((o, i) => ops.standardise(o.scores, m(i).scoreMean, m(i).scoreStd))),
    maps: ops.sum(outs.map((o, i) => ops.standardise(o.maps, 0, m(i).mapScale))),
  };
}

/** Typed arrays (new arrays out; the inputs are not changed). */
export const arrayArithmetic: EnsembleArithmetic<Float32Array> = {
  standardise: (x, mean, spread) => x.map((v) => (v - mean) / spread),
  sum(xs) {
    const first = xs[0] as Float32Array;
    const out = new Float32Array(first.length);
    for (const x of xs) {
      if (x.length !== out.length) throw new MadenetError('E_INTERNAL', `PatchCore ensemble members gave ${out.length} and ${x.length} values; expected equal lengths.`);
      for (let j = 0; j < x.length; j++) out[j] = (out[j] as number) + (x[j] as number);
    }
    return out;
  },
};

/** tfjs tensors (call inside tf.tidy: intermediates are not disposed here). */
export const tensorArithmetic: EnsembleArithmetic<tf.Tensor> = {
  standardise: (x, mean, spread) => (mean === 0 ? x : x.sub(mean)).div(spread),
  sum: (xs) => tf.addN(xs),
};

/**
 * The one input size of the members, checked with their standardisation (where given): every ensemble, built in
 * training or loaded from its artifact, goes through this check.
 */
export function ensembleInputSize(members: readonly { imageSize: number; std?: EnsembleStandardisation }[]): number {
  const first = members[0];
  if (!first) throw new MadenetError('E_CONFIG', 'A PatchCore ensemble needs at least one member; got none.');
  const other = members.find((m) => m.imageSize !== first.imageSize);
  if (other) throw new MadenetError('E_CONFIG', `PatchCore ensemble members take ${first.imageSize} and ${other.imageSize} px inputs; expected one size for all.`);
  for (const { std: s } of members) {
    if (s && !(s.scoreStd > 0 && s.mapScale > 0 && Number.isFinite(s.scoreMean))) {
      throw new MadenetError('E_CONFIG', `PatchCore ensemble member standardisation is mean ${s.scoreMean}, spread ${s.scoreStd}, map scale ${s.mapScale}; expected a finite mean and positive spread and scale.`);
    }
  }
  return first.imageSize;
}
