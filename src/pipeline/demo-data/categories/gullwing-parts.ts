// The leaded packages built on createLeaded: QFP (leads on four sides), SOIC (two rows), SOT-23 (three
// leads) and SOD-123 (two-terminal diode with a cathode band as its polarity mark).
import type { CategoryModel } from '../types.js';
import { createLeaded, type LeadSpec } from './leaded-package.js';

function row(side: LeadSpec['side'], n: number, pitch: number): LeadSpec[] {
  return Array.from({ length: n }, (_, j) => ({ side, along: (j - (n - 1) / 2) * pitch }));
}

export const QFP: CategoryModel = {
  name: 'QFP',
  refdes: 'U4',
  defects: ['shift', 'solder_bridge', 'bent_lead', 'excess_solder', 'missing_polarity_mark', 'foreign_material'],
  create: (rng, tones) =>
    createLeaded(
      {
        bodyHw: 0.215,
        bodyHh: 0.215,
        bodyRadius: 0.01,
        leads: [...row(0, 7, 0.052), ...row(1, 7, 0.052), ...row(2, 7, 0.052), ...row(3, 7, 0.052)],
        leadLen: 0.095,
        leadHw: 0.0125,
        knee: 0.035,
        padIn: 0.03,
        padOut: 0.118,
        padHw: 0.018,
        marking: { lines: ['STM32', 'F103C'], cell: 0.012 },
        polarity: { kind: 'dot', x: -0.15, y: -0.15, r: 0.03 },
      },
      tones,
      rng,
    ),
};

export const SOIC: CategoryModel = {
  name: 'SOIC',
  refdes: 'U2',
  defects: ['missing_component', 'rotation', 'solder_bridge', 'bent_lead', 'scratch', 'missing_polarity_mark'],
  create: (rng, tones) =>
    createLeaded(
      {
        bodyHw: 0.25,
        bodyHh: 0.15,
        bodyRadius: 0.008,
        leads: [...row(1, 4, 0.11), ...row(3, 4, 0.11)],
        leadLen: 0.11,
        leadHw: 0.022,
        knee: 0.04,
        padIn: 0.035,
        padOut: 0.14,
        padHw: 0.031,
        marking: { lines: ['LM358', 'P3K'], cell: 0.016 },
        polarity: { kind: 'dot', x: -0.19, y: 0.07, r: 0.03 },
      },
      tones,
      rng,
    ),
};

export const SOT: CategoryModel = {
  name: 'SOT',
  refdes: 'Q1',
  defects: ['missing_component', 'shift', 'bent_lead', 'solder_ball', 'insufficient_solder'],
  create: (rng, tones) =>
    createLeaded(
      {
        bodyHw: 0.2,
        bodyHh: 0.1,
        bodyRadius: 0.008,
        leads: [
          { side: 1, along: -0.125 },
          { side: 1, along: 0.125 },
          { side: 3, along: 0 },
        ],
        leadLen: 0.11,
        leadHw: 0.03,
        knee: 0.04,
        padIn: 0.03,
        padOut: 0.155,
        padHw: 0.046,
        marking: { lines: ['A1K'], cell: 0.02 },
        polarity: null,
      },
      tones,
      rng,
    ),
};

export const SOD: CategoryModel = {
  name: 'SOD',
  refdes: 'D5',
  defects: ['missing_component', 'rotation', 'missing_polarity_mark', 'excess_solder', 'insufficient_solder'],
  create: (rng, tones) => {
    const band = rng.uniform(0.72, 0.82);
    return createLeaded(
      {
        bodyHw: 0.2,
        bodyHh: 0.12,
        bodyRadius: 0.01,
        leads: [
          { side: 2, along: 0 },
          { side: 0, along: 0 },
        ],
        leadLen: 0.1,
        leadHw: 0.055,
        knee: 0.025,
        padIn: 0.0,
        padOut: 0.135,
        padHw: 0.075,
        marking: { lines: ['T4'], cell: 0.02 },
        polarity: { kind: 'band', x0: -0.17, x1: -0.115, color: [band, band, band * 0.98] },
      },
      tones,
      rng,
    );
  },
};
