// A backbone artifact as `madenet weights import` writes it (kind backbone, category and config.arch the
// architecture, one model named "backbone"), from any tfjs model: what --backbone ARTIFACT reads.
import type * as tf from '@tensorflow/tfjs';
import { modelArtifactsOf, writeArtifact, type ArtifactRef } from '../../src/pipeline/artifacts/index.js';

export async function writeBackboneArtifact(root: string, arch: string, model: tf.LayersModel): Promise<ArtifactRef> {
  return writeArtifact({ root, kind: 'backbone', category: arch, config: { arch }, seed: 0, models: { backbone: await modelArtifactsOf(model) } });
}
