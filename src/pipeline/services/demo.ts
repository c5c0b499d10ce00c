// `madenet demo`: the main job end to end on the built-in demo data, each step through the same service its
// own command uses, everything written under one output folder. Returns every figure it measured.
import { join } from 'node:path';
import { makeDemo, type MakeDemoResult } from './make-demo.js';
import { inspectDataset, type DatasetInspectResult } from './dataset-inspect.js';
import { synth, type SynthResult } from './synth.js';

export interface DemoOptions {
  out: string;
  seed: number;
  /** Demo categories to run (default: a representative subset that fits the time budget). */
  categories?: string[];
  /** Image size of the generated data. */
  size?: number;
  onStep?: (step: string) => void;
}

export interface DemoStepTiming {
  step: string;
  seconds: number;
}

export interface DemoResult {
  out: string;
  data: string;
  categories: string[];
  dataset: Pick<MakeDemoResult, 'images' | 'masks' | 'size' | 'seed'>;
  inspect: { images: number; problems: number };
  synthPreview: { contactSheet: string; samples: number; kind: string }[];
  steps: DemoStepTiming[];
  seconds: number;
}

export const DEMO_DEFAULT_CATEGORIES = ['BGA', 'QFN', 'SOIC', 'CAPACITOR'];

export async function runDemo(opts: DemoOptions): Promise<DemoResult> {
  const started = performance.now();
  const steps: DemoStepTiming[] = [];
  const timed = async <T>(step: string, fn: () => Promise<T>): Promise<T> => {
    opts.onStep?.(step);
    const t0 = performance.now();
    const value = await fn();
    steps.push({ step, seconds: (performance.now() - t0) / 1000 });
    return value;
  };
  const categories = opts.categories ?? DEMO_DEFAULT_CATEGORIES;
  const data = join(opts.out, 'data');

  const made = await timed('make-demo', () =>
    makeDemo({ out: data, seed: opts.seed, size: opts.size ?? 128, categories, force: true }),
  );
  const inspected: DatasetInspectResult = await timed('inspect', () => inspectDataset({ root: data }));

  const previews: SynthResult[] = [];
  for (const kind of ['mixed', 'cutpaste'] as const) {
    const category = categories[0] as string;
    previews.push(
      await timed(`synth ${kind}`, () =>
        synth({ data, category, out: join(opts.out, 'synth', `${category}-${kind}`), count: 8, kind, seed: opts.seed, force: true }),
      ),
    );
  }

  return {
    out: opts.out,
    data,
    categories,
    dataset: { images: made.images, masks: made.masks, size: made.size, seed: made.seed },
    inspect: { images: inspected.totals.images, problems: inspected.problems.length },
    synthPreview: previews.map((p) => ({ contactSheet: p.files.contactSheet, samples: p.count, kind: p.kind })),
    steps,
    seconds: (performance.now() - started) / 1000,
  };
}
