// The registry of demo categories: each name maps to the model that draws that kind of component.
// Adding a category means adding its model here and to DEMO_CATEGORIES.
import { ALUMINUM_CAPACITOR } from './aluminum-capacitor.js';
import { BGA } from './bga.js';
import { CAPACITOR, INDUCTOR, RESISTOR } from './chip-parts.js';
import { DPAK } from './dpak.js';
import { QFP, SOD, SOIC, SOT } from './gullwing-parts.js';
import { QFN } from './qfn.js';
import type { CategoryModel, DemoCategory } from '../types.js';

export const CATEGORY_MODELS: Record<DemoCategory, CategoryModel> = {
  BGA,
  CAPACITOR,
  RESISTOR,
  INDUCTOR,
  QFN,
  QFP,
  SOIC,
  SOT,
  SOD,
  DPAK,
  ALUMINUM_CAPACITOR,
};
