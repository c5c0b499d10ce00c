// LPD as the generic machinery sees it (contract.ts). Heavy code is imported when first used.
import { defectSlots, realAtStep } from '../../finetune/real-ratio.js';
import { lazySubmodelParts, type Submodel } from '../contract.js';

export const lpd: Submodel = {
  kind: 'lpd',
  title: 'LPD',
  fallback: true,
  ...lazySubmodelParts({
    workflow: async () => (await import('./train/lpd-session.js')).lpdWorkflow,
    detector: async () => (await import('./detector.js')).loadLpdDetector,
    graph: async () => (await import('./onnx-graph.js')).lpdArtifactGraph,
  }),
  finetune: {
    // SGD over the whole backbone its GDE localises with: unstable at half the trained rate, steady at a tenth.
    lrFactor: 0.1,
    trainedLr: (c) => c.model?.learningRate ?? 0.01,
    batchSizeExpectation: (b) => (b >= 2 && b % 2 === 0 ? null : 'an even number >= 2 (half normal, half defective)'),
    composition: (batchSize, ratio, step) => {
      // B/2 normals (label 0) and B/2 positives; CutPaste positives are copies of the first normals.
      const slots = defectSlots(batchSize);
      const real = realAtStep(step, slots, ratio);
      return { real, synthetic: slots - real, clean: batchSize - slots, normals: batchSize - slots };
    },
    // LPD's loaders read these two at the top (detector scoring; `--backbone <lpd artifact>` elsewhere).
    topLevelConfig: (parent) => ({ backbone: parent.backbone, scoring: parent.scoring ?? 'head' }),
    adapter: async (o) => (await import('./finetune/lpd-adapter.js')).lpdFinetuneAdapter(o),
  },
};
