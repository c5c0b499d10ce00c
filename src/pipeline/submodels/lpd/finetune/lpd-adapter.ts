// LPD for fine-tuning: the parent's backbone and head, CutPaste's SGD at the fine-tuning rate, real defects as
// positives of the BCE head next to CutPaste copies, and their masks in a localisation term (lpd-finetune-step.ts)
// that pushes defect patch embeddings away from the parent's normal density. The GDE itself stays a density of
// normals, refitted on the train normals after the weights change: defect patches in it would absorb the defects.
import * as tf from '@tensorflow/tfjs';
import { buildBackbone } from '../../../../models/components/backbone.js';
import { validateLpdConfig, type LpdConfig } from '../model/config.js';
import { gdeFromTensors, type GdeState } from '../model/gde.js';
import { RESNET_STAGE_STRIDES, type ResNetStage } from '../../../../models/components/resnet.js';
import { buildLpd, disposeLpd, lpdTrainableVariables } from '../model/model.js';
import { modelArtifactsOf } from '../../../artifacts/index.js';
import { LPD_GDE_FILE, LPD_SCORINGS, lpdDetector, type LpdScoring } from '../detector.js';
import { DEFAULT_GATE, type GateOptions } from '../../../synth/index.js';
import { emptyCutPasteStats, LPD_VARIANTS, type LpdCutPasteVariant, type LpdSynthOptions } from '../train/lpd-batches.js';
import { fitGdeOnNormals, gdeFile } from '../train/lpd-gde-fit.js';
import { LpdSgd } from '../train/lpd-sgd.js';
import { setWeightsFromArtifacts } from '../../../train/train-checkpoint.js';
import { readSafetensors } from '../../../weights/safetensors.js';
import { thresholdsFile } from '../../../train/train-detector-validation.js';
import { loadParentWeights } from '../../../finetune/parent-weights.js';
import { type AdapterOptions, type FinetuneAdapter, type FinetuneSnapshot } from '../../../finetune/adapter.js';
import { lpdCellWeights, lpdFinetuneBatch } from './lpd-finetune-batch.js';
import { LPD_DEFECT_MARGIN, LPD_PULL_WEIGHT, lpdFinetuneStep, lpdJointModel } from './lpd-finetune-step.js';

interface RecordedLpd {
  scoring?: LpdScoring;
  training?: { cutPaste?: { variant?: LpdCutPasteVariant; gate?: GateOptions | false; jitter?: number } };
}

/** Weight of the localisation term next to the BCE (0 = the head alone learns from real defects). */
export const LPD_LOC_WEIGHT = 1;

/** The parent's CutPaste settings, so the synthetic positives stay the ones it learnt from. */
function parentCutPaste(recorded: RecordedLpd): LpdSynthOptions {
  const cp = recorded.training?.cutPaste;
  return {
    variant: cp?.variant && LPD_VARIANTS.includes(cp.variant) ? cp.variant : 'normal',
    gate: cp?.gate === false ? false : { ...DEFAULT_GATE, ...(cp?.gate ?? {}) },
    jitter: typeof cp?.jitter === 'number' ? cp.jitter : 0.1,
  };
}

export async function lpdFinetuneAdapter(opts: AdapterOptions & { locWeight?: number }): Promise<FinetuneAdapter> {
  const { parent } = opts;
  const cfg = parent.config.model as LpdConfig;
  validateLpdConfig(cfg);
  const recorded = parent.config as RecordedLpd;
  const scoring: LpdScoring = recorded.scoring && LPD_SCORINGS.includes(recorded.scoring) ? recorded.scoring : 'head';
  const synth = parentCutPaste(recorded);
  const seed = parent.artifact.manifest.seed;
  const lpd = buildLpd(cfg, { seed, backbone: buildBackbone(cfg.backbone, { seed, inputSize: cfg.imageSize }) });
  await loadParentWeights(parent, { model: lpd.model }, () => disposeLpd(lpd));
  const vars = lpdTrainableVariables(lpd);
  const joint = lpdJointModel(lpd, cfg);
  const side = cfg.imageSize / Math.min(...cfg.gdeLayers.map((l) => RESNET_STAGE_STRIDES[l as ResNetStage]));
  // The parent's density stays the reference of the localisation term for the whole run (exact on --resume).
  const parentGde = gdeFromTensors(readSafetensors(await parent.artifact.readFile(LPD_GDE_FILE), `${parent.artifact.dir}/${LPD_GDE_FILE}`));
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
    settings: { optimizer: 'sgd-momentum', momentum: cfg.momentum, weightDecay: cfg.weightDecay, scoring, cutPaste: synth, gde: 'refitted on the train normals', locWeight: opts.locWeight ?? LPD_LOC_WEIGHT, defectMargin: LPD_DEFECT_MARGIN, pullWeight: LPD_PULL_WEIGHT, batchNorm: 'frozen' },
    setLr(lr) {
      optimizer.setRate(lr);
    },
    async step(raw) {
      const batch = lpdFinetuneBatch(raw, synth, stats);
      const w = lpdCellWeights(raw, side);
      const pos = tf.tensor1d(w.pos);
      const neg = tf.tensor1d(w.neg);
      try {
        const r = await lpdFinetuneStep(joint, optimizer, vars, cfg, { ...batch, pos, neg }, parentGde, opts.locWeight ?? LPD_LOC_WEIGHT);
        return { loss: r.loss, patchedTerm: r.patchedTerm, normalTerm: r.normalTerm, locTerm: r.locTerm, accuracy: r.accuracy };
      } finally {
        tf.dispose([batch.images, batch.labels, pos, neg]);
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
    // Fine-tuning runs the head in inference mode, so no dropout mask is ever drawn and none needs replaying.
    resumedAt() {},
    async payload(best, evaluation) {
      // After a resume the best epoch's GDE is unknown; the same weights and images fit the same one again.
      const gde = best.gde ?? (await fitGde());
      return {
        models: best.models,
        files: {
          [LPD_GDE_FILE]: gdeFile(gde),
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
