// Measures the cost model of bench/real/plan.ts (setup seconds + seconds per train image per epoch, per run)
// on one category with a few epochs each, from CPU time so that a busy machine does not inflate it; also
// the per-submodel test evaluation. Prints JSON; edit SMALL_COSTS with it. Writes artifacts to a temp folder.
import { mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { discoverCategories } from './discover.js';
import { evaluateSubmodel } from './evaluate-runs.js';
import { readCategories, writeManifest } from './manifest.js';
import { parseEpochs, PROJECT_ROOT } from './options.js';
import { planCategory, SMALL_COSTS, SMALL_SETTINGS, trainImagesAfterHoldOut } from './plan.js';
import { trainCategory } from './train-category.js';
import { cpuSecondsSince } from '../../src/pipeline/runtime/cpu-time.js';

const { values } = parseArgs({
  options: {
    data: { type: 'string', default: join(PROJECT_ROOT, '..', 'shared', 'data') },
    category: { type: 'string', default: 'transistor' },
    epochs: { type: 'string', default: 'srad=2,lpd=2,sfad=4' },
    out: { type: 'string', default: join(tmpdir(), 'madenet-bench-real-calibrate', String(Date.now())) },
    threads: { type: 'string', default: '1' },
    /** Comma-separated run ids to measure (sfad-lpd needs lpd); default all four. */
    runs: { type: 'string', default: 'srad,lpd,sfad-lpd,sfad-random' },
  },
});

const cpu = (): number => cpuSecondsSince();

const found = (await discoverCategories(values.data)).find((c) => c.name === values.category);
if (!found) throw new Error(`No category ${values.category} under ${values.data}.`);
await mkdir(values.out, { recursive: true });
const manifest = join(values.out, 'manifest.jsonl');
const combined = await readCategories([found]);
await writeManifest(combined, [found.name], manifest);
const c = combined.counts[found.name];
if (!c) throw new Error('manifest lost the category');
const wanted = values.runs.split(',').map((r) => r.trim());
const plans = planCategory({
  budgetSeconds: 600,
  trainImages: trainImagesAfterHoldOut(c.trainNormals),
  sfadRandom: true,
  settings: SMALL_SETTINGS,
  costs: SMALL_COSTS,
  epochs: parseEpochs(values.epochs),
}).filter((p) => wanted.includes(p.id));
const marks: { at: number; cpu: number; wall: number }[] = [];
const w = (): number => performance.now() / 1000;
const t = await trainCategory({
  data: manifest,
  category: found.name,
  out: join(values.out, 'artifacts'),
  seed: 42,
  plans,
  trainDefects: 0,
  textures: null,
  backend: 'auto',
  threads: Number(values.threads),
  finetuneEpochs: 0,
  onStep: (s) => {
    marks.push({ at: marks.length, cpu: cpu(), wall: w() });
    process.stderr.write(`${s}\n`);
  },
});
marks.push({ at: marks.length, cpu: cpu(), wall: w() });

const report = [];
for (const [i, run] of t.runs.entries()) {
  const cpuSeconds = (marks[i + 1]?.cpu ?? 0) - (marks[i]?.cpu ?? 0);
  const wallSeconds = (marks[i + 1]?.wall ?? 0) - (marks[i]?.wall ?? 0);
  // CPU/wall of the whole run scales the per-epoch wall records to CPU seconds.
  const ratio = Math.min(1.5, cpuSeconds / Math.max(wallSeconds, 1e-9));
  const epochCpu = run.epochSeconds.map((s) => s * ratio);
  const perEpoch = epochCpu.reduce((a, b) => a + b, 0) / Math.max(epochCpu.length, 1);
  const c0 = cpu();
  const w0 = w();
  const ev = await evaluateSubmodel({ model: run.artifact, data: manifest, category: found.name, out: join(values.out, 'eval', run.plan.id), backend: 'auto', threads: Number(values.threads) });
  report.push({
    id: run.plan.id,
    epochs: run.epochs,
    trainImages: run.trainImages,
    wallSeconds: round(wallSeconds),
    cpuSeconds: round(cpuSeconds),
    epochWallSeconds: run.epochSeconds.map(round),
    suggested: { setupSeconds: round(Math.max(0, cpuSeconds - perEpoch * run.epochs)), secondsPerImageEpoch: round(perEpoch / run.trainImages, 3) },
    evaluate: { images: ev.images, wallSeconds: round(w() - w0), cpuSeconds: round(cpu() - c0) },
  });
}
process.stdout.write(`${JSON.stringify({ category: found.name, out: values.out, runs: report }, null, 2)}\n`);
process.exit(0);

function round(v: number, digits = 1): number {
  const f = 10 ** digits;
  return Math.round(v * f) / f;
}
