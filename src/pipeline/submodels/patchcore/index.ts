// PatchCore as the generic machinery sees it (contract.ts): a memory bank, so nothing to fine-tune and, for now,
// no ONNX export. Heavy code is imported when first used.
import type { Submodel } from '../contract.js';

export const patchcore: Submodel = {
  kind: 'patchcore',
  title: 'PatchCore',
  fallback: false,
  loadDetector: async (artifact) => (await import('./detector.js')).loadPatchcoreDetector(artifact),
  // The backbone through onnxruntime where it loads (infer, evaluate, build-perfmap), as train-patchcore does.
  loadAsyncDetector: async (artifact, opts) => (await import('./detector.js')).loadPatchcoreAsyncDetector(artifact, opts),
  // The kNN itself is one MatMul + ReduceMin, but the packaged backbones' layers (depthwise convolutions, Keras
  // padding layers, inception branches) are not in the layers-to-ONNX converter yet.
  onnx: {
    unsupported: 'is a PatchCore memory bank, which has no ONNX export yet',
    suggestions: ['infer runs PatchCore without an export: --engine auto runs its backbone through onnxruntime where it loads, the rest on TensorFlow.js.'],
  },
  finetune: {
    unsupported: 'is a PatchCore memory bank, which has no trained weights to fine-tune',
    suggestions: ['To add normals, re-run train-patchcore with them in the train split: it rebuilds the bank in minutes.'],
  },
};
