// The budgets `madenet demo` trains with: how much data, which presets and how many epochs, chosen so that
// the whole pipeline fits its time budget on 2 CPU cores (quick: under 15 minutes) while still separating
// defects from normals. Numbers were measured with the wasm backend; see the README's demo section.
import type { SubmodelKind } from '../detectors/detector.js';
import type { TrainClassifierOptions } from './train-classifier.js';
import type { TrainLpdOptions } from './train-lpd.js';
import type { TrainSfadOptions } from './train-sfad.js';
import type { TrainSradOptions } from './train-srad.js';
import type { FinetuneOptions } from './finetune.js';

export type DemoPlanName = 'quick' | 'full' | 'smoke';

export interface DemoPlan {
  categories: string[];
  imageSize: number;
  data: { perCategory: number; testPerCategory: number; defectsPerCategory: number; testDefectsPerCategory: number };
  srad: Pick<TrainSradOptions, 'preset' | 'epochs' | 'batchSize' | 'lr'>;
  sfad: Pick<TrainSfadOptions, 'preset' | 'epochs' | 'batchSize' | 'lr' | 'noiseStd'>;
  lpd: Pick<TrainLpdOptions, 'preset' | 'epochs' | 'batchSize' | 'lr' | 'scoring'>;
  /** Seed SFAD's backbone with the category's LPD backbone (the transfer the paper proposes). */
  sfadFromLpd: boolean;
  finetune: Record<SubmodelKind, Pick<FinetuneOptions, 'epochs' | 'batchSize' | 'lr' | 'realRatio'>>;
  classifier: Pick<TrainClassifierOptions, 'preset' | 'epochs' | 'batchSize' | 'lr'>;
}

const quick: DemoPlan = {
  categories: ['BGA', 'QFN', 'SOIC', 'CAPACITOR'],
  imageSize: 64,
  data: { perCategory: 60, testPerCategory: 12, defectsPerCategory: 20, testDefectsPerCategory: 12 },
  srad: { preset: 'tiny', epochs: 30, batchSize: 8, lr: 3e-3 },
  // LPD-trained features spread ~4x more than random ones: the noise must match (see train/lpd/README.md).
  sfad: { preset: 'tiny', epochs: 40, batchSize: 8, lr: 1e-3, noiseStd: 0.1 },
  lpd: { preset: 'tiny', epochs: 30, batchSize: 16, scoring: 'gde' },
  sfadFromLpd: true,
  finetune: {
    srad: { epochs: 2, realRatio: 0.5 },
    sfad: { epochs: 2, realRatio: 0.5 },
    lpd: { epochs: 2, realRatio: 0.5 },
  },
  classifier: { preset: 'tiny', epochs: 40, batchSize: 16, lr: 3e-3 },
};

const full: DemoPlan = {
  ...quick,
  categories: ['BGA', 'CAPACITOR', 'RESISTOR', 'INDUCTOR', 'QFN', 'QFP', 'SOIC', 'SOT', 'SOD', 'DPAK', 'ALUMINUM_CAPACITOR'],
  imageSize: 128,
  data: { perCategory: 60, testPerCategory: 16, defectsPerCategory: 12, testDefectsPerCategory: 16 },
};

/** Seconds long: proves every step runs end to end (the e2e test and a first look); its scores mean nothing. */
const smoke: DemoPlan = {
  ...quick,
  categories: ['BGA', 'QFN'],
  imageSize: 32,
  data: { perCategory: 10, testPerCategory: 4, defectsPerCategory: 10, testDefectsPerCategory: 4 },
  srad: { ...quick.srad, epochs: 1, batchSize: 4 },
  sfad: { ...quick.sfad, epochs: 1, batchSize: 4 },
  lpd: { ...quick.lpd, epochs: 1, batchSize: 4 },
  finetune: { srad: { epochs: 1, realRatio: 0.5 }, sfad: { epochs: 1, realRatio: 0.5 }, lpd: { epochs: 1, realRatio: 0.5 } },
  classifier: { ...quick.classifier, epochs: 1, batchSize: 8 },
};

export const DEMO_PLANS: Record<DemoPlanName, DemoPlan> = { quick, full, smoke };
