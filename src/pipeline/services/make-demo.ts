// The service behind `madenet dataset make-demo`: generates the procedural demo dataset and reports what it
// wrote and how long it took. Knows nothing of flags; the command maps flags onto these options.
import { generateDemoDataset, type DemoDatasetOptions, type DemoDatasetSummary } from '../demo-data/index.js';

export type MakeDemoOptions = DemoDatasetOptions;

export interface MakeDemoResult extends DemoDatasetSummary {
  elapsedMs: number;
}

export async function makeDemo(options: MakeDemoOptions): Promise<MakeDemoResult> {
  const started = performance.now();
  const summary = await generateDemoDataset(options);
  return { ...summary, elapsedMs: Math.round(performance.now() - started) };
}
