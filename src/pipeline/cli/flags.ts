// Flag sets shared by several commands, so that a flag means the same thing everywhere.
import { Flags } from '@oclif/core';

export const runtimeFlags = {
  backend: Flags.string({
    description:
      'Compute backend: auto tries tensorflow (tfjs-node-gpu, then tfjs-node), then webgpu (a hardware GPU through Dawn/Vulkan; software adapters such as lavapipe are skipped), then wasm, then cpu.',
    options: ['auto', 'tensorflow', 'webgpu', 'wasm', 'cpu'],
    env: 'MADENET_BACKEND',
    default: 'auto',
  }),
  threads: Flags.integer({
    description: 'Compute threads for the wasm backend (0 = one per core).',
    env: 'MADENET_THREADS',
    min: 0,
    default: 0,
  }),
};

export const seedFlag = {
  seed: Flags.integer({ description: 'Seed for every random choice (data order, synthesis, initialisation).', default: 42 }),
};

export const imageSizeFlag = {
  'image-size': Flags.integer({ description: 'Images are resized to this square size in pixels.', min: 8 }),
};

/** Data, output and checkpoint flags every submodel trainer (train-srad, train-sfad, train-lpd) takes alike. */
export function submodelTrainingFlags(kind: 'srad' | 'sfad' | 'lpd') {
  return {
    data: Flags.string({ description: 'Dataset root (MVTec AD / ManuDefect-21 layout) or manifest.', required: true }),
    category: Flags.string({ description: 'Category to train on.', required: true }),
    out: Flags.string({ description: `Artifact root; the model is saved to <out>/${kind}/<category>/vNNNN.`, required: true }),
    'val-fraction': Flags.string({ description: 'Share of train normals held out for validation (at most 64 images).', default: '0.2' }),
    'checkpoint-every': Flags.integer({ description: 'Save a checkpoint every N steps and at each epoch end (0 = never).', default: 100, min: 0 }),
    resume: Flags.boolean({ description: 'Continue from the newest checkpoint of this category in --out.', default: false }),
  };
}
