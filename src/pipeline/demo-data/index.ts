// Public entry of the built-in demo data: the in-memory sample renderer (for tests and training code) and the
// dataset writer (for `madenet dataset make-demo` and `madenet demo`). Import from here, not from the parts.
export { DEMO_CATEGORIES, DEMO_DEFECT_TYPES, type DemoCategory, type DemoDefectType } from './types.js';
export { DEMO_MASK_THRESHOLD, DEMO_MAX_SIZE, DEMO_MIN_SIZE, demoDefectsFor, renderDemoSample, type DemoSample } from './render-sample.js';
export { checkPanel, DEMO_MAX_PANEL, renderDemoPanel } from './panel.js';
export { DEFAULT_DEMO_COUNTS, demoItemSeed, demoPlan, type DemoCounts, type DemoItem, type DemoSplit } from './plan.js';
export {
  DEMO_GENERATOR,
  generateDemoDataset,
  readDemoDescription,
  type DemoDatasetDescription,
  type DemoDatasetOptions,
  type DemoDatasetSummary,
} from './generate.js';
