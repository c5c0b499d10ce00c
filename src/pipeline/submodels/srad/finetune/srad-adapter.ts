// SRAD for fine-tuning: both networks rebuilt from the parent's config and weights, Adam at the fine-tuning rate,
// steps on mixed real/synthetic batches (srad-finetune-batch.ts explains the reconstruction target of real defects).
import * as tf from '@tensorflow/tfjs';
import { validateSradConfig, type SradConfig } from '../model/config.js';
import { buildSrad, disposeSrad, type SradModels } from '../model/model.js';
import { modelArtifactsOf } from '../../../artifacts/index.js';
import { sradDetector } from '../detector.js';
import { encodePng } from '../../../io/decode.js';
import { setWeightsFromArtifacts } from '../../../train/train-checkpoint.js';
import { ForegroundCache, type ForegroundMode } from '../train/srad-batches.js';
import { sradPreview } from '../train/srad-preview.js';
import { thresholdsFile } from '../../../train/train-detector-validation.js';
import { loadParentWeights } from '../../../finetune/parent-weights.js';
import { type AdapterOptions, type FinetuneAdapter, type FinetuneSnapshot } from '../../../finetune/adapter.js';
import { sradFinetuneBatch } from './srad-finetune-batch.js';
import { sradFinetuneStep } from './srad-finetune-step.js';

const NAMES = ['reconstructive', 'discriminative'] as const;

export async function sradFinetuneAdapter(opts: AdapterOptions): Promise<FinetuneAdapter> {
  const { parent } = opts;
  const cfg = parent.config.model as SradConfig;
  validateSradConfig(cfg);
  const recorded = (parent.config as { training?: { foreground?: ForegroundMode } }).training;
  const foreground: ForegroundMode = recorded?.foreground === 'none' ? 'none' : 'auto';
  const models: SradModels = buildSrad(cfg);
  await loadParentWeights(parent, { reconstructive: models.reconstructive, discriminative: models.discriminative }, () => disposeSrad(models));
  const optimizer = tf.train.adam(opts.lr);
  const cache = new ForegroundCache();
  const detector = sradDetector(models, cfg, { category: parent.category, artifactDir: null, ownsModels: false });

  return {
    kind: 'srad',
    imageSize: cfg.imageSize,
    models: { reconstructive: models.reconstructive, discriminative: models.discriminative },
    optimizer,
    settings: { optimizer: 'adam', foreground, reconstructionOfRealDefects: 'outside the mask dilated by the SSIM window' },
    setLr(lr) {
      // tfjs's Adam reads the rate on every update.
      (optimizer as unknown as { learningRate: number }).learningRate = lr;
    },
    async step(raw) {
      const batch = sradFinetuneBatch(raw, { textures: opts.textures, foreground, ssimWindow: cfg.loss.ssimWindow }, cache);
      try {
        const r = await sradFinetuneStep(models, optimizer, cfg, batch);
        return { loss: r.loss, rec: r.rec, ssim: r.ssim, focal: r.focal };
      } finally {
        tf.dispose([batch.image, batch.clean, batch.mask, batch.recWeight]);
      }
    },
    detector: async () => detector,
    async snapshot(): Promise<FinetuneSnapshot> {
      return { models: { reconstructive: await modelArtifactsOf(models.reconstructive), discriminative: await modelArtifactsOf(models.discriminative) } };
    },
    async restore(snapshot) {
      for (const name of NAMES) setWeightsFromArtifacts(models[name], snapshot.models[name] as tf.io.ModelArtifacts, `best ${name} snapshot`);
    },
    resumedAt() {},
    async payload(best, evaluation, plan) {
      const preview = await encodePng(await sradPreview(models, cfg, plan, { textures: opts.textures }));
      return { models: best.models, files: { 'preview.png': preview, 'thresholds.json': thresholdsFile(evaluation) } };
    },
    dispose() {
      optimizer.dispose();
      disposeSrad(models);
    },
  };
}
