// `madenet train-lpd`: trains LPD (backbone + head) to tell one category's train normals from their CutPaste
// copies (balanced batches, BCE, SGD with cosine decay), fits the localisation GDE on the train normals,
// validates each epoch as build-perfmap would (never on the test split), checkpoints for an exact --resume and
// saves the best epoch, its GDE and its threshold as <out>/lpd/<category>/vNNNN.
import { runTraining } from '../train/workflow.js';
import { lpdWorkflow, type TrainLpdOptions, type TrainLpdResult } from '../submodels/lpd/train/lpd-session.js';

export { LPD_JITTER, type LpdMetrics, type TrainLpdOptions, type TrainLpdResult } from '../submodels/lpd/train/lpd-session.js';

/** The generic training workflow filled with LPD's session (submodels/lpd/train/lpd-session.ts). */
export async function trainLpd(opts: TrainLpdOptions): Promise<TrainLpdResult> {
  return runTraining(lpdWorkflow(opts));
}
