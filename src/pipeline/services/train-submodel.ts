// Trains any registered submodel kind with the generic trainer (train/workflow.ts), by its registry entry: what
// a kind added by one folder and one registry line gets without a command of its own. train-srad, train-sfad and
// train-lpd run the same workflows with their typed options.
import { MadenetError } from '../core/errors.js';
import type { SubmodelTrainOptions } from '../submodels/contract.js';
import { findSubmodel, listSubmodels, submodelKinds } from '../submodels/registry.js';
import type { TrainingRunResult } from '../train/train-run-types.js';
import { runTraining } from '../train/workflow.js';

export async function trainSubmodel(kind: string, opts: SubmodelTrainOptions): Promise<TrainingRunResult> {
  const submodel = findSubmodel(kind);
  if (!submodel) throw new MadenetError('E_USAGE', `Submodel kind '${kind}' is not registered; expected one of ${submodelKinds().join(', ')}.`);
  if (!submodel.train) {
    const trainable = listSubmodels().filter((s) => s.train).map((s) => s.kind);
    throw new MadenetError('E_USAGE', `Submodel kind '${kind}' has no gradient training; expected one of ${trainable.join(', ')} (or its own command, e.g. train-${kind}).`);
  }
  return runTraining(await submodel.train.workflow(opts));
}
