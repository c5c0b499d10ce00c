// SFAD for fine-tuning: the parent's frozen extractor, adaptor and discriminator, its two-rate Adam at the
// fine-tuning rate, and steps whose real-defect locations are negatives (sfad-finetune-step.ts). The backbone is
// frozen and nothing is augmented, so each image's features are computed once and kept while they fit a budget.
import * as tf from '@tensorflow/tfjs';
import { buildBackbone } from '../../../../models/components/backbone.js';
import { isPackagedBackbone, validateSfadConfig, type SfadConfig } from '../model/config.js';
import { buildSfad, disposeSfad, sfadFeatures } from '../model/model.js';
import { layersModelFrom, modelArtifactsOf } from '../../../artifacts/index.js';
import { sfadDetector } from '../detector.js';
import type { RgbImage } from '../../../io/image.js';
import { hashSeed } from '../../../core/random.js';
import { setWeightsFromArtifacts } from '../../../train/train-checkpoint.js';
import { DEFAULT_FEATURE_BUDGET, featureBytes, featureSide } from '../train/sfad-batches.js';
import { imagesToTensor } from '../../../train/tensors.js';
import { thresholdsFile } from '../../../train/train-detector-validation.js';
import { loadParentWeights } from '../../../finetune/parent-weights.js';
import { sfadOptimizer } from '../train/sfad-step.js';
import { type AdapterOptions, type FinetuneAdapter, type FinetuneSnapshot } from '../../../finetune/adapter.js';
import { sfadFinetuneStep, sfadLocationWeights } from './sfad-finetune-step.js';

export async function sfadFinetuneAdapter(opts: AdapterOptions & { featureBudgetBytes?: number }): Promise<FinetuneAdapter> {
  const { parent } = opts;
  const { cfg, model } = await parentSfad(parent);
  const { optimizer, varList } = sfadOptimizer(model, cfg, opts.lr);
  const side = featureSide(cfg);
  const features = frozenFeatures(model, cfg, opts.featureBudgetBytes ?? DEFAULT_FEATURE_BUDGET);
  const detector = sfadDetector(model, cfg, { category: parent.category, artifactDir: null, ownsModels: false });

  return {
    kind: 'sfad',
    imageSize: cfg.imageSize,
    models: { adaptor: model.adaptor, discriminator: model.discriminator },
    optimizer,
    settings: { optimizer: 'adam', lrAdaptorScale: cfg.lrAdaptor / cfg.lrDiscriminator, weightDecay: cfg.weightDecay, realNegatives: 'locations with >= 25% defect pixels' },
    setLr(lr) {
      (optimizer as unknown as { learningRate: number }).learningRate = lr;
    },
    async step(raw, ctx) {
      const items = [
        ...raw.normals.map((d) => ({ path: d.sample.path, image: d.image })),
        ...raw.defects.map((d) => ({ path: d.sample.path, image: d.image })),
      ];
      const f = await features(items);
      const w = sfadLocationWeights([...raw.normals.map(() => null), ...raw.defects.map((d) => d.mask)], side);
      const weights = { pos: tf.tensor1d(w.pos), neg: tf.tensor1d(w.neg) };
      try {
        const r = await sfadFinetuneStep(model, optimizer, varList, cfg, f, weights, hashSeed(`sfad-finetune-step:${ctx.step}`, opts.seed));
        return { loss: r.loss, trueLoss: r.trueLoss, fakeLoss: r.fakeLoss, realLoss: r.realLoss };
      } finally {
        tf.dispose([f, weights.pos, weights.neg]);
      }
    },
    detector: async () => detector,
    async snapshot(): Promise<FinetuneSnapshot> {
      return { models: { adaptor: await modelArtifactsOf(model.adaptor), discriminator: await modelArtifactsOf(model.discriminator) } };
    },
    async restore(snapshot) {
      setWeightsFromArtifacts(model.adaptor, snapshot.models.adaptor as tf.io.ModelArtifacts, 'best adaptor snapshot');
      setWeightsFromArtifacts(model.discriminator, snapshot.models.discriminator as tf.io.ModelArtifacts, 'best discriminator snapshot');
    },
    resumedAt() {},
    async payload(best, evaluation) {
      return {
        models: { extractor: await modelArtifactsOf(model.extractor), ...best.models },
        files: { 'thresholds.json': thresholdsFile(evaluation) },
      };
    },
    dispose() {
      optimizer.dispose();
      disposeSfad(model);
    },
  };
}

/** The parent's config and models (its weights loaded). */
async function parentSfad(parent: AdapterOptions['parent']): Promise<{ cfg: SfadConfig; model: ReturnType<typeof buildSfad> }> {
  const cfg = parent.config.model as SfadConfig;
  validateSfadConfig(cfg);
  const seed = parent.artifact.manifest.seed;
  // Built as train-sfad builds it (fixed input size), so the saved weights fit in the same order; a packaged
  // network's extractor is not rebuilt from an architecture but read back whole from the parent.
  const packaged = isPackagedBackbone(cfg.backbone);
  const model = packaged
    ? buildSfad(cfg, { seed, extractor: await layersModelFrom(await parent.artifact.modelArtifacts('extractor')) })
    : buildSfad(cfg, { seed, backbone: buildBackbone(cfg.backbone, { seed, inputSize: cfg.imageSize }) });
  await loadParentWeights(parent, { ...(packaged ? {} : { extractor: model.extractor }), adaptor: model.adaptor, discriminator: model.discriminator }, () => disposeSfad(model));
  return { cfg, model };
}

/** Features [N,h,w,D] of images in order, from a per-path cache (while within the budget) where possible, one extractor call for the rest. */
function frozenFeatures(model: ReturnType<typeof buildSfad>, cfg: SfadConfig, budgetBytes: number) {
  const side = featureSide(cfg);
  const per = featureBytes(cfg) / 4;
  const cache = new Map<string, Float32Array>();
  const maxCached = Math.floor(budgetBytes / featureBytes(cfg));
  return async (items: { path: string; image: RgbImage }[]): Promise<tf.Tensor4D> => {
    const missing = items.filter((it, i) => !cache.has(it.path) && items.findIndex((o) => o.path === it.path) === i);
    const fresh = new Map<string, Float32Array>();
    if (missing.length > 0) {
      const f = tf.tidy(() => sfadFeatures(model.extractor, imagesToTensor(missing.map((m) => m.image)), cfg));
      const data = (await f.data()) as Float32Array;
      f.dispose();
      missing.forEach((m, i) => {
        const one = data.slice(i * per, (i + 1) * per);
        fresh.set(m.path, one);
        if (cache.size < maxCached) cache.set(m.path, one);
      });
    }
    const buf = new Float32Array(items.length * per);
    items.forEach((it, i) => buf.set((cache.get(it.path) ?? fresh.get(it.path)) as Float32Array, i * per));
    return tf.tensor4d(buf, [items.length, side, side, cfg.featureDim]);
  };
}
