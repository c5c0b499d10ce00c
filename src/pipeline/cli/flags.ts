// Flag sets shared by several commands, so that a flag means the same thing everywhere.
import { Flags } from '@oclif/core';

export const runtimeFlags = {
  backend: Flags.string({
    description: 'Compute backend: auto tries tensorflow (tfjs-node-gpu, then tfjs-node), then wasm, then cpu.',
    options: ['auto', 'tensorflow', 'wasm', 'cpu'],
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
