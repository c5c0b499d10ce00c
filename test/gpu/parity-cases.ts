// One case per submodel (tiny preset, tiny seeded inputs): its inference outputs and one plain-SGD training
// step through the submodel's real step function, run on a named backend, read back as arrays. SGD makes the
// weight change -lr x gradient, so comparing changes compares the gradient kernels themselves (Adam's first
// step would turn them into lr x sign(g) and hide or blow up tiny differences).
import * as tf from '@tensorflow/tfjs';
import { classifierPreset } from '../../src/models/classifier/config.js';
import { buildClassifier } from '../../src/models/classifier/model.js';
import { classifierProbs } from '../../src/models/classifier/predict.js';
import { classifierTrainStep } from '../../src/models/classifier/train-step.js';
import { lpdAnomalyMap } from '../../src/pipeline/submodels/lpd/model/anomaly-map.js';
import { lpdPreset } from '../../src/pipeline/submodels/lpd/model/config.js';
import { lpdGdeFit } from '../../src/pipeline/submodels/lpd/model/gde.js';
import { buildLpd, disposeLpd, lpdEmbeddings, lpdImageScore, lpdTrainableVariables } from '../../src/pipeline/submodels/lpd/model/model.js';
import { sfadAnomalyMap, sfadImageScore } from '../../src/pipeline/submodels/sfad/model/anomaly-map.js';
import { sfadPreset } from '../../src/pipeline/submodels/sfad/model/config.js';
import { buildSfad, disposeSfad, sfadFeatures, sfadPatchScores, sfadTrainableVariables } from '../../src/pipeline/submodels/sfad/model/model.js';
import { sradPreset } from '../../src/pipeline/submodels/srad/model/config.js';
import { buildSrad, disposeSrad } from '../../src/pipeline/submodels/srad/model/model.js';
import { sradPredict } from '../../src/pipeline/submodels/srad/model/predict.js';
import { sradTrainStep } from '../../src/pipeline/submodels/srad/model/train-step.js';
import { lpdTrainStep } from '../../src/pipeline/submodels/lpd/train/lpd-step.js';
import { sfadTrainStep } from '../../src/pipeline/submodels/sfad/train/sfad-step.js';
import { initRuntime, type BackendRequest } from '../../src/pipeline/runtime/backend.js';

/** What one case produced on one backend: named output arrays, the step's losses, weights before and after. */
export interface CaseRun {
  outputs: Record<string, Float32Array>;
  losses: number[];
  /** Every weight (trainable and BN statistics) of the trained networks, before and after the step. */
  before: Float32Array[];
  after: Float32Array[];
  /** Tensors alive after the case minus before it (must be 0). */
  leaked: number;
}

export interface SubmodelCase {
  name: string;
  /** Image side in pixels and batch size (kept tiny: a software adapter runs ~0.5 GFLOP/s). */
  size: number;
  batch: number;
  run(): Promise<Omit<CaseRun, 'leaked'>>;
}

const LR = 0.05;

/** Seeded images [n,s,s,3] in [0,1] with a bright square on odd images (so scores and losses are not flat). */
function images(n: number, s: number, seed: number): tf.Tensor4D {
  return tf.tidy(() => {
    const base = tf.randomUniform([n, s, s, 3], 0.2, 0.5, 'float32', seed);
    const m = new Float32Array(n * s * s);
    const q = Math.max(2, s >> 2);
    for (let i = 1; i < n; i += 2) for (let y = q; y < 2 * q; y++) for (let x = q; x < 2 * q; x++) m[i * s * s + y * s + x] = 1;
    const mask = tf.tensor4d(m, [n, s, s, 1]);
    return base.mul(tf.scalar(1).sub(mask)).add(mask.mul(0.95)) as tf.Tensor4D;
  });
}

async function read(t: tf.Tensor): Promise<Float32Array> {
  return Float32Array.from((await t.data()) as Float32Array);
}

async function weights(models: tf.LayersModel[]): Promise<Float32Array[]> {
  const out: Float32Array[] = [];
  for (const m of models) for (const w of m.weights) out.push(await read(w.read()));
  return out;
}

async function readAll(named: Record<string, tf.Tensor>): Promise<Record<string, Float32Array>> {
  const out: Record<string, Float32Array> = {};
  for (const [k, t] of Object.entries(named)) out[k] = await read(t);
  tf.dispose(Object.values(named));
  return out;
}

const srad: SubmodelCase = {
  name: 'srad',
  size: 32,
  batch: 2,
  async run() {
    const cfg = sradPreset('tiny', { seed: 1 });
    const models = buildSrad(cfg);
    const image = images(2, 32, 11);
    const mask = tf.tidy(() => image.greater(0.9).any(3, true).toFloat()) as tf.Tensor4D;
    const clean = tf.tidy(() => image.mul(tf.scalar(1).sub(mask)).add(mask.mul(0.35))) as tf.Tensor4D;
    try {
      const p = sradPredict(models, cfg, image);
      const outputs = await readAll({ recon: p.recon, map: p.map, score: p.score });
      const nets = [models.reconstructive, models.discriminative];
      const before = await weights(nets);
      const opt = tf.train.sgd(LR);
      const r = await sradTrainStep(models, opt, cfg, { image, clean, mask });
      opt.dispose();
      return { outputs, losses: [r.total, r.rec, r.ssim, r.focal], before, after: await weights(nets) };
    } finally {
      tf.dispose([image, mask, clean]);
      disposeSrad(models);
    }
  },
};

const sfad: SubmodelCase = {
  name: 'sfad',
  size: 32,
  batch: 2,
  async run() {
    const cfg = sfadPreset('tiny', { imageSize: 32, featureDim: 32, discriminatorHidden: 16 });
    const model = buildSfad(cfg, { seed: 3 });
    const x = images(2, 32, 12);
    const features = sfadFeatures(model.extractor, x, cfg);
    try {
      const outputs = await tf.tidy(() => {
        const scores = sfadPatchScores(model, features);
        const map = sfadAnomalyMap(scores, cfg.imageSize, cfg.smoothingSigma);
        return { features: features.clone(), scores, map, score: sfadImageScore(map) };
      });
      const read = await readAll(outputs);
      const nets = [model.adaptor, model.discriminator];
      const before = await weights(nets);
      const vars = sfadTrainableVariables(model);
      const opt = tf.train.sgd(LR);
      const r = await sfadTrainStep(model, opt, [...vars.adaptor, ...vars.discriminator], cfg, features, 7);
      opt.dispose();
      return { outputs: read, losses: [r.loss, r.trueLoss, r.fakeLoss], before, after: await weights(nets) };
    } finally {
      tf.dispose([x, features]);
      disposeSfad(model);
    }
  },
};

const lpd: SubmodelCase = {
  name: 'lpd',
  size: 32,
  batch: 4,
  async run() {
    const cfg = lpdPreset('tiny', { imageSize: 32, dropout: 0 });
    const model = buildLpd(cfg, { seed: 2 });
    const x = images(4, 32, 13);
    const labels = tf.tensor1d([0, 1, 0, 1]);
    try {
      const emb = lpdEmbeddings(model.extractor, x, cfg);
      // The GDE is fitted from the same embeddings: its mean, covariance inverse (in float64 on the CPU) and the
      // Mahalanobis map all come from this backend's numbers.
      const gde = await lpdGdeFit([emb.clone()], { shrinkage: cfg.gdeShrinkage, epsilon: cfg.gdeEpsilon });
      const named = tf.tidy(() => ({ prob: lpdImageScore(model.model, x), map: lpdAnomalyMap(gde, emb, cfg.imageSize, cfg.smoothingSigma) }));
      const outputs = await readAll({ ...named, embeddings: emb });
      const nets = [model.model];
      const before = await weights(nets);
      const opt = tf.train.sgd(LR);
      const r = await lpdTrainStep(model, opt, lpdTrainableVariables(model), x, labels, cfg.weightDecay);
      opt.dispose();
      return { outputs, losses: [r.loss, r.patchedTerm, r.normalTerm], before, after: await weights(nets) };
    } finally {
      tf.dispose([x, labels]);
      disposeLpd(model);
    }
  },
};

const classifier: SubmodelCase = {
  name: 'classifier',
  size: 32,
  batch: 3,
  async run() {
    const cfg = classifierPreset('tiny', { seed: 5 });
    const model = buildClassifier(cfg, 3);
    const x = images(3, 32, 14);
    const labels = tf.tensor1d([0, 1, 2], 'int32');
    try {
      const outputs = await readAll({ probs: classifierProbs(model, x) });
      const before = await weights([model]);
      const opt = tf.train.sgd(LR);
      const r = await classifierTrainStep(model, opt, cfg, { images: x, labels });
      opt.dispose();
      return { outputs, losses: [r.loss, r.accuracy], before, after: await weights([model]) };
    } finally {
      tf.dispose([x, labels]);
      model.dispose();
    }
  },
};

export const SUBMODEL_CASES: readonly SubmodelCase[] = [srad, sfad, lpd, classifier];

/** Runs a case on `backend` (threads 1) and counts what it leaves behind. */
export async function runCase(c: SubmodelCase, backend: Exclude<BackendRequest, 'auto'>): Promise<CaseRun> {
  await initRuntime({ backend, threads: 1 });
  const start = tf.memory().numTensors;
  const r = await c.run();
  return { ...r, leaked: tf.memory().numTensors - start };
}

/** max |a - b| / max |b| over all entries of all arrays: the error relative to the reference's scale. */
export function relativeError(a: readonly ArrayLike<number>[], b: readonly ArrayLike<number>[]): number {
  if (a.length !== b.length) return Number.POSITIVE_INFINITY;
  let diff = 0;
  let scale = 0;
  for (let k = 0; k < a.length; k++) {
    const x = a[k] as ArrayLike<number>;
    const y = b[k] as ArrayLike<number>;
    if (x.length !== y.length) return Number.POSITIVE_INFINITY;
    for (let i = 0; i < x.length; i++) {
      const d = Math.abs((x[i] as number) - (y[i] as number));
      if (Number.isNaN(d)) return Number.POSITIVE_INFINITY;
      diff = Math.max(diff, d);
      scale = Math.max(scale, Math.abs(y[i] as number));
    }
  }
  return scale === 0 ? diff : diff / scale;
}

/** after - before, per weight array. */
export function deltas(r: Pick<CaseRun, 'before' | 'after'>): Float32Array[] {
  return r.after.map((w, i) => {
    const b = r.before[i] as Float32Array;
    return w.map((v, j) => v - (b[j] as number));
  });
}
