// LPD for fine-tuning: the parent's backbone and head, CutPaste's SGD at the fine-tuning rate, real defects as
// positives of the BCE head next to CutPaste copies. Localisation stays a density of normals: the GDE is refitted
// on the train normals after the weights change (real defects would pull it towards defects); real defects reach
// localisation only through the features they shaped, and the image threshold is chosen on the validation defects.
import * as tf from '@tensorflow/tfjs';
import { buildBackbone } from '../../models/components/backbone.js';
import { validateLpdConfig, type LpdConfig } from '../../models/lpd/config.js';
import { gdeToTensors, type GdeState } from '../../models/lpd/gde.js';
import { buildLpd, disposeLpd, lpdTrainableVariables } from '../../models/lpd/model.js';
import { modelArtifactsOf } from '../artifacts/index.js';
import { LPD_GDE_FILE, LPD_SCORINGS, lpdDetector, type LpdScoring } from '../detectors/lpd.js';
import { DEFAULT_GATE, type GateOptions } from '../synth/index.js';
import { emptyCutPasteStats, LPD_VARIANTS, type LpdCutPasteVariant, type LpdSynthOptions } from '../train/lpd/lpd-batches.js';
import { restoreDropoutCalls } from '../train/lpd/lpd-dropout-state.js';
import { fitGdeOnNormals } from '../train/lpd/lpd-gde-fit.js';
import { LpdSgd } from '../train/lpd/lpd-sgd.js';
import { lpdTrainStep } from '../train/lpd/lpd-step.js';
import { setWeightsFromArtifacts } from '../train/train-checkpoint.js';
import { writeSafetensors } from '../weights/safetensors.js';
import { thresholdsFile, type AdapterOptions, type FinetuneAdapter, type FinetuneSnapshot } from './adapter.js';
import { lpdFinetuneBatch } from './lpd-finetune-batch.js';

interface RecordedLpd {
  scoring?: LpdScoring;
  training?: { cutPaste?: { variant?: LpdCutPasteVariant; gate?: GateOptions | false; jitter?: number } };
}

export async function lpdFinetuneAdapter(opts: AdapterOptions): Promise<FinetuneAdapter> {
  const { parent } = opts;
  const cfg = parent.config.model as LpdConfig;
  validateLpdConfig(cfg);
  const recorded = parent.config as RecordedLpd;
  const scoring: LpdScoring = recorded.scoring && LPD_SCORINGS.includes(recorded.scoring) ? recorded.scoring : 'head';
  const cp = recorded.training?.cutPaste;
  // The parent's CutPaste settings, so the synthetic positives stay the ones it learnt from.
  const synth: LpdSynthOptions = {
    variant: cp?.variant && LPD_VARIANTS.includes(cp.variant) ? cp.variant : 'normal',
    gate: cp?.gate === false ? false : { ...DEFAULT_GATE, ...(cp?.gate ?? {}) },
    jitter: typeof cp?.jitter === 'number' ? cp.jitter : 0.1,
  };
  const seed = parent.artifact.manifest.seed;
  const lpd = buildLpd(cfg, { seed, backbone: buildBackbone(cfg.backbone, { seed, inputSize: cfg.imageSize }) });
  try {
    setWeightsFromArtifacts(lpd.model, await parent.artifact.modelArtifacts('model'), `${parent.artifact.dir} model`);
  } catch (err) {
    disposeLpd(lpd);
    throw err;
  }
  const vars = lpdTrainableVariables(lpd);
  const optimizer = new LpdSgd(opts.lr, cfg.momentum);
  const stats = emptyCutPasteStats();
  const gdeBatch = Math.max(opts.batchSize, 8);
  let lastGde: GdeState | null = null;

  const fitGde = async (): Promise<GdeState> => fitGdeOnNormals(lpd.extractor, opts.trainNormals, cfg, { batchSize: gdeBatch });

  return {
    kind: 'lpd',
    imageSize: cfg.imageSize,
    models: { model: lpd.model },
    optimizer,
    settings: { optimizer: 'sgd-momentum', momentum: cfg.momentum, weightDecay: cfg.weightDecay, scoring, cutPaste: synth, gde: 'refitted on the train normals' },
    setLr(lr) {
      optimizer.setRate(lr);
    },
    async step(raw) {
      const batch = lpdFinetuneBatch(raw, synth, stats);
      try {
        const r = lpdTrainStep(lpd, optimizer, vars, batch.images, batch.labels, cfg.weightDecay);
        return { loss: r.loss, patchedTerm: r.patchedTerm, normalTerm: r.normalTerm, accuracy: r.accuracy };
      } finally {
        tf.dispose([batch.images, batch.labels]);
      }
    },
    async detector() {
      lastGde = await fitGde();
      return lpdDetector(lpd.model, lastGde, cfg, { category: parent.category, artifactDir: null, ownsModel: false, scoring });
    },
    async snapshot(): Promise<FinetuneSnapshot> {
      return { models: { model: await modelArtifactsOf(lpd.model) }, gde: lastGde };
    },
    async restore(snapshot) {
      setWeightsFromArtifacts(lpd.model, snapshot.models.model as tf.io.ModelArtifacts, 'best LPD snapshot');
    },
    resumedAt(step) {
      restoreDropoutCalls(lpd.model, step);
    },
    async payload(best, evaluation) {
      // After a resume the best epoch's GDE is unknown; the same weights and images fit the same one again.
      const gde = best.gde ?? (await fitGde());
      return {
        models: best.models,
        files: {
          [LPD_GDE_FILE]: writeSafetensors(gdeToTensors(gde), { format: 'madenet-lpd-gde', images: String(gde.count) }),
          'thresholds.json': thresholdsFile(evaluation, { scoring }),
        },
      };
    },
    dispose() {
      optimizer.dispose();
      disposeLpd(lpd);
    },
  };
}
