// SFAD fine-tuning: SimpleNet's truncated L1 loss with a third term for real defects. Feature locations inside a
// real defect mask (downsampled to the feature grid) are negatives next to the Gaussian-noise ones; locations
// outside are positives like every normal location. Partly covered cells are left out of the loss.
import * as tf from '@tensorflow/tfjs';
import { minimizeReporting } from '../../../../models/components/optimizer-step.js';
import type { SfadConfig } from '../model/config.js';
import { sfadTrainingScores, type SfadModel } from '../model/model.js';
import type { Mask } from '../../../io/image.js';

/** A cell counts as defective from this share of defect pixels (or the image's largest share, if smaller). */
export const DEFECT_CELL_FRACTION = 0.25;

export interface LocationWeights {
  /** [M] 1 where a location is normal (positive), else 0. */
  pos: Float32Array;
  /** [M] 1 where a location lies in a real defect (negative), else 0. */
  neg: Float32Array;
}

/**
 * Per feature location (row-major over images, then the side x side grid): positive, negative or neither.
 * masks[i] null = a normal image; otherwise its [S,S] mask with S a multiple of side.
 */
export function sfadLocationWeights(masks: readonly (Mask | null)[], side: number): LocationWeights {
  const cells = side * side;
  const pos = new Float32Array(masks.length * cells);
  const neg = new Float32Array(masks.length * cells);
  masks.forEach((mask, i) => {
    const base = i * cells;
    if (mask === null) {
      pos.fill(1, base, base + cells);
      return;
    }
    const frac = cellFractions(mask, side);
    let max = 0;
    for (const f of frac) if (f > max) max = f;
    const t = max < DEFECT_CELL_FRACTION ? max : DEFECT_CELL_FRACTION;
    for (let c = 0; c < cells; c++) {
      const f = frac[c] as number;
      if (f === 0) pos[base + c] = 1;
      else if (f >= t) neg[base + c] = 1;
    }
  });
  return { pos, neg };
}

// Math functions as module constants: jest's module wrapper makes global lookups in hot loops very slow.
const floor = Math.floor;
const minOf = Math.min;

function cellFractions(mask: Mask, side: number): Float32Array {
  const stride = mask.width / side;
  const out = new Float32Array(side * side);
  const column = Int32Array.from({ length: mask.width }, (_, x) => minOf(side - 1, floor(x / stride)));
  for (let y = 0; y < mask.height; y++) {
    const row = minOf(side - 1, floor(y / stride)) * side;
    const at = y * mask.width;
    for (let x = 0; x < mask.width; x++) {
      if ((mask.data[at + x] as number) > 0.5) out[row + (column[x] as number)] += 1;
    }
  }
  const area = stride * stride;
  for (let c = 0; c < out.length; c++) out[c] = (out[c] as number) / area;
  return out;
}

export interface SfadFinetuneTerms {
  total: tf.Scalar;
  /** Weighted mean of max(0, m - D(q)) over positive locations. */
  trueLoss: tf.Scalar;
  /** Weighted mean of max(0, m + D(q + eps)) over the noisy copies of positive locations. */
  fakeLoss: tf.Scalar;
  /** Weighted mean of max(0, m + D(q)) over real-defect locations (0 when the batch has none). */
  realLoss: tf.Scalar;
}

/**
 * L = true + fake + real. The real term is averaged on its own, so that a few defect cells are not drowned by
 * thousands of noise negatives. Call inside the optimiser's closure; features [N,h,w,D], pos/neg [N*h*w].
 */
export function sfadFinetuneLoss(
  model: Pick<SfadModel, 'adaptor' | 'discriminator'>,
  features: tf.Tensor4D,
  weights: { pos: tf.Tensor1D; neg: tf.Tensor1D },
  cfg: Pick<SfadConfig, 'noiseStd' | 'margin'>,
  noiseSeed: number,
): SfadFinetuneTerms {
  // One discriminator batch, so batch norm sees every kind of row together (as in SimpleNet).
  const { m, scores } = sfadTrainingScores(model, features, cfg, noiseSeed);
  const dTrue = scores.slice([0, 0], [m, 1]).reshape([m]);
  const dFake = scores.slice([m, 0], [m, 1]).reshape([m]);
  const mean = (values: tf.Tensor, wt: tf.Tensor1D): tf.Scalar => values.mul(wt).sum().div(wt.sum().maximum(1)) as tf.Scalar;
  const trueLoss = mean(tf.relu(tf.scalar(cfg.margin).sub(dTrue)), weights.pos);
  const fakeLoss = mean(tf.relu(tf.scalar(cfg.margin).add(dFake)), weights.pos);
  const realLoss = mean(tf.relu(tf.scalar(cfg.margin).add(dTrue)), weights.neg);
  return { total: trueLoss.add(fakeLoss).add(realLoss) as tf.Scalar, trueLoss, fakeLoss, realLoss };
}

export interface SfadFinetuneLosses {
  loss: number;
  trueLoss: number;
  fakeLoss: number;
  realLoss: number;
}

/** One optimiser step over the adaptor and discriminator (features and weights not disposed here). */
export async function sfadFinetuneStep(
  model: Pick<SfadModel, 'adaptor' | 'discriminator'>,
  optimizer: tf.Optimizer,
  variables: tf.Variable[],
  cfg: Pick<SfadConfig, 'noiseStd' | 'margin'>,
  features: tf.Tensor4D,
  weights: { pos: tf.Tensor1D; neg: tf.Tensor1D },
  noiseSeed: number,
): Promise<SfadFinetuneLosses> {
  const values = await minimizeReporting(optimizer, variables, () => {
    const t = sfadFinetuneLoss(model, features, weights, cfg, noiseSeed);
    return { total: t.total, parts: [t.trueLoss, t.fakeLoss, t.realLoss] };
  });
  return { loss: values[0] as number, trueLoss: values[1] as number, fakeLoss: values[2] as number, realLoss: values[3] as number };
}
