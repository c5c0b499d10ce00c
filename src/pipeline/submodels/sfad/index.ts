// SFAD as the generic machinery sees it (contract.ts). Heavy code is imported when first used.
import { defectSlots, realAtStep } from '../../finetune/real-ratio.js';
import type { Submodel } from '../contract.js';

export const sfad: Submodel = {
  kind: 'sfad',
  title: 'SFAD',
  fallback: true,
  // train-sfad's options; the workflow checks them before any I/O.
  train: {
    workflow: async (o) => {
      const { sfadWorkflow } = await import('./train/sfad-session.js');
      return sfadWorkflow(o as unknown as Parameters<typeof sfadWorkflow>[0]);
    },
  },
  loadDetector: async (artifact) => (await import('./detector.js')).loadSfadDetector(artifact),
  onnx: { graph: async (artifact) => (await import('./onnx-graph.js')).sfadArtifactGraph(artifact) },
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
