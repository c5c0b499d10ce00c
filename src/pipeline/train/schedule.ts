// Learning-rate schedules as pure functions of the global step; the loop applies them to the optimizer.
// Step decay follows DRAEM (x0.2 at 80% and 90% of training), the schedule the SRAD paper family uses.

export interface StepSchedule {
  baseLr: number;
  totalSteps: number;
  /** Fractions of totalSteps where the rate is multiplied by gamma. */
  milestones: number[];
  gamma: number;
}

export function stepDecayLr(s: StepSchedule, step: number): number {
  let lr = s.baseLr;
  for (const m of s.milestones) if (step >= Math.floor(m * s.totalSteps)) lr *= s.gamma;
  return lr;
}

export function defaultStepSchedule(baseLr: number, totalSteps: number): StepSchedule {
  return { baseLr, totalSteps, milestones: [0.8, 0.9], gamma: 0.2 };
}
