// SFAD as the generic machinery sees it (contract.ts). Heavy code is imported when first used.
import { defectSlots, realAtStep } from '../../finetune/real-ratio.js';
import { lazySubmodelParts, type Submodel } from '../contract.js';

export const sfad: Submodel = {
  kind: 'sfad',
  title: 'SFAD',
  fallback: true,
  ...lazySubmodelParts({
    workflow: async () => (await import('./train/sfad-session.js')).sfadWorkflow,
    detector: async () => (await import('./detector.js')).loadSfadDetector,
    graph: async () => (await import('./onnx-graph.js')).sfadArtifactGraph,
  }),
  finetune: {
    // Measured on two demo categories (5 epochs, tiny): half the trained rate gained 2-3x more Pixel-AP than a tenth.
    lrFactor: 0.5,
    trainedLr: (c) => c.model?.lrDiscriminator ?? 2e-4,
    batchSizeExpectation: (b) => (b >= 2 ? null : 'at least 2 (normal and defective images together)'),
    composition: (batchSize, ratio, step) => {
      // Every normal location gets a Gaussian-noise negative anyway; real defects replace some normals.
      const real = realAtStep(step, defectSlots(batchSize), ratio);
      return { real, synthetic: 0, clean: batchSize - real, normals: batchSize - real };
    },
    adapter: async (o) => (await import('./finetune/sfad-adapter.js')).sfadFinetuneAdapter(o),
  },
};
