// A backbone artifact as `madenet weights import` writes it (kind backbone, category and config.arch the
// architecture, one model named "backbone"), from any tfjs model: what --backbone ARTIFACT reads.
import type * as tf from '@tensorflow/tfjs';
import { buildBackbone } from '../../src/models/components/backbone.js';
import { modelArtifactsOf, writeArtifact, type ArtifactRef } from '../../src/pipeline/artifacts/index.js';

export async function writeBackboneArtifact(root: string, arch: string, model: tf.LayersModel): Promise<ArtifactRef> {
  return writeArtifact({ root, kind: 'backbone', category: arch, config: { arch }, seed: 0, models: { backbone: await modelArtifactsOf(model) } });
}

/** The backbone artifact of a seeded resnet_tiny (seed 1): a backbone of another family than HRNet or EfficientNet. */
export async function writeResnetTinyArtifact(root: string): Promise<ArtifactRef> {
  const resnet = buildBackbone('resnet_tiny', { seed: 1 });
  try {
    return await writeBackboneArtifact(root, 'resnet_tiny', resnet);
  } finally {
    resnet.dispose();
  }
}
