// The service behind `madenet dataset make-demo`: generates the procedural demo dataset and reports what it
// wrote and how long it took. Knows nothing of flags; the command maps flags onto these options.
import { lockOutputFolder } from '../artifacts/output-folder.js';
import { generateDemoDataset, type DemoDatasetOptions, type DemoDatasetSummary } from '../demo-data/index.js';

export interface MakeDemoOptions extends DemoDatasetOptions {
  /** The caller already holds the lock on `out` (demo keeps it for its whole run); else make-demo takes it. */
  lockHeld?: boolean;
}

export interface MakeDemoResult extends DemoDatasetSummary {
  elapsedMs: number;
}

export async function makeDemo(options: MakeDemoOptions): Promise<MakeDemoResult> {
  const started = performance.now();
  // Regenerating removes category folders: never while another madenet (a demo training on them) holds the folder.
  const { lockHeld, ...generate } = options;
  const lock = lockHeld ? null : await lockOutputFolder(options.out, 'dataset make-demo');
  try {
    const summary = await generateDemoDataset(generate);
    return { ...summary, elapsedMs: Math.round(performance.now() - started) };
  } finally {
    await lock?.release();
  }
}
