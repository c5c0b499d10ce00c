// The train normals a submodel may learn from: the category's train normals minus the validation hold-out that
// build-perfmap (planValidation) makes with the same fraction and seed, checked to be disjoint from it.
import { MadenetError } from '../core/errors.js';
import { samplesOf, type Dataset, type Sample } from '../io/dataset.js';
import type { ValidationPlan } from '../perfmap/validation-set.js';
import { holdOut } from './data.js';

export function trainNormalsOutside(dataset: Pick<Dataset, 'samples'>, category: string, plan: ValidationPlan, valFraction: number, seed: number): Sample[] {
  const train = holdOut(samplesOf(dataset, { category, split: 'train', label: 0 }), valFraction, seed).train;
  const held = new Set(plan.normals.map((s) => s.path));
  if (train.some((s) => held.has(s.path)) || train.length === 0) {
    throw new MadenetError('E_DATASET', `Category ${category} leaves ${train.length} normal training image(s) after holding out ${plan.normals.length} for validation; expected at least one.`);
  }
  return train;
}
