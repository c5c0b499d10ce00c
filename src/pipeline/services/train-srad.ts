// `madenet train-srad`: trains SRAD on one category's train normals with online anomaly synthesis, Adam and a
// step schedule, validates each epoch as build-perfmap would (never on the test split), checkpoints for an
// exact --resume, and saves the best epoch as <out>/srad/<category>/vNNNN. No flags, no printing.
import { runTraining } from '../train/workflow.js';
import { sradWorkflow, type TrainSradOptions, type TrainSradResult } from '../submodels/srad/train/srad-session.js';

export type { SradMetrics, TrainSradOptions, TrainSradResult } from '../submodels/srad/train/srad-session.js';

/** The generic training workflow filled with SRAD's session (submodels/srad/train/srad-session.ts). */
export async function trainSrad(opts: TrainSradOptions): Promise<TrainSradResult> {
  return runTraining(sradWorkflow(opts));
}
