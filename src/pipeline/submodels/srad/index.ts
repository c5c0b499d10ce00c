// SRAD as the generic machinery sees it (contract.ts). Heavy code is imported when first used.
import { defectSlots, realAtStep } from '../../finetune/real-ratio.js';
import { lazySubmodelParts, type Submodel } from '../contract.js';

export const srad: Submodel = {
  kind: 'srad',
  title: 'SRAD',
  fallback: true,
  ...lazySubmodelParts({
    workflow: async () => (await import('./train/srad-session.js')).sradWorkflow,
    detector: async () => (await import('./detector.js')).loadSradDetector,
    graph: async () => (await import('./onnx-graph.js')).sradArtifactGraph,
  }),
  finetune: {
    // Measured on two demo categories (5 epochs, tiny): half the trained rate gained 2-3x more Pixel-AP than a tenth.
    lrFactor: 0.5,
    trainedLr: (c) => c.training?.schedule?.baseLr ?? 1e-3,
    batchSizeExpectation: (b) => (b >= 2 ? null : 'at least 2 (normal and defective images together)'),
    composition: (batchSize, ratio, step) => {
      // Clean normals keep DRAEM's half of undisturbed inputs; the other slots hold a real or a synthetic defect.
      const slots = defectSlots(batchSize);
      const real = realAtStep(step, slots, ratio);
      return { real, synthetic: slots - real, clean: batchSize - slots, normals: batchSize - real };
    },
    adapter: async (o) => (await import('./finetune/srad-adapter.js')).sradFinetuneAdapter(o),
  },
};
