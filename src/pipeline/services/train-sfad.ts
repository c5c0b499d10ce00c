// `madenet train-sfad`: trains SFAD's adaptor and discriminator on frozen-backbone features of one category's
// train normals (Gaussian feature noise as the anomalies), validates each epoch as build-perfmap would (never
// on the test split), checkpoints for an exact --resume and saves the best epoch as <out>/sfad/<category>/vNNNN.
import { runTraining } from '../train/workflow.js';
import { sfadWorkflow, type TrainSfadOptions, type TrainSfadResult } from '../submodels/sfad/train/sfad-session.js';

export type { SfadMetrics, TrainSfadOptions, TrainSfadResult } from '../submodels/sfad/train/sfad-session.js';
export { SFAD_DEFAULT_BACKBONE, SFAD_FEATURE_CACHE_MB, SFAD_PACKAGED_IMAGE_SIZE } from '../submodels/sfad/train/sfad-session.js';

/** The generic training workflow filled with SFAD's session (submodels/sfad/train/sfad-session.ts). */
export async function trainSfad(opts: TrainSfadOptions): Promise<TrainSfadResult> {
  return runTraining(sfadWorkflow(opts));
}
