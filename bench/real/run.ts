// `npm run bench:real`: MADE-Net with the small presets on every MVTec-layout category under ../shared/data (or
// --data); writes real.md and real.json. Exits 0 with a message when there is no data; --help lists the flags.
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { MadenetError } from '../../src/pipeline/core/errors.js';
import { discoverCategories, type FoundCategory } from './discover.js';
import { readCategories, writeManifest, type CategoryCounts } from './manifest.js';
import { parseBenchArgs, PROJECT_ROOT, USAGE, type BenchOptions } from './options.js';
import { categoryPlan, runBenchPipeline } from './pipeline.js';
import { renderMarkdown } from './render.js';
import { BENCH_REAL_SCHEMA, type BenchResults } from './results.js';
import { holdOutRealValidation } from './validation-split.js';

const started = performance.now();
const log = (line: string): void => {
  process.stderr.write(`[bench:real ${((performance.now() - started) / 1000).toFixed(0).padStart(5)} s] ${line}\n`);
};

async function main(): Promise<number> {
  const argv = process.argv.slice(2);
  const opts = parseBenchArgs(argv);
  if (opts.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (opts.reroute) return reroute(opts, argv);
  const root = await stat(opts.data).catch(() => null);
  if (!root?.isDirectory()) {
    process.stdout.write(`bench:real skipped: no data folder at ${opts.data} (pass --data DIR or set MADENET_BENCH_DATA).\n`);
    return 0;
  }
  const found = await discoverCategories(opts.data);
  if (found.length === 0) {
    process.stdout.write(`bench:real skipped: no MVTec-layout category (<dir>/train/good and <dir>/test) under ${opts.data}.\n`);
    return 0;
  }
  log(`found ${found.length} categories under ${opts.data}: ${found.map((c) => `${c.name} (${c.rel})`).join(', ')}`);

  const combined = await readCategories(found);
  const categories = selectCategories(found, combined.counts, opts);
  const counts = combined.counts;
  for (const c of categories) {
    const n = counts[c.name] as CategoryCounts;
    if (n.errors.length > 0) throw new MadenetError('E_DATASET', `Category ${c.rel} has ${n.errors.length} layout errors, e.g. ${n.errors[0]}`);
    log(`${c.name}: train ${n.trainNormals} normal + ${n.trainDefects} defective, test ${n.testNormals} normal + ${n.testDefects} defective, ${n.resolution}`);
  }
  if (opts.planOnly) {
    for (const c of categories) {
      const plans = categoryPlan(opts, counts[c.name] as CategoryCounts);
      const total = plans.reduce((a, p) => a + p.plannedSeconds, 0);
      process.stdout.write(`${c.name}: ${plans.map((p) => `${p.id} ${p.preset} ${p.epochs} epochs (~${Math.round(p.plannedSeconds)} s)`).join(', ')}; ~${Math.round(total)} s of training\n`);
    }
    return 0;
  }
  const run = join(opts.out, new Date().toISOString().replace(/[:.]/g, '-'));
  const manifest = join(run, 'manifest.jsonl');
  let validationData: string | undefined;
  if (opts.realValidation > 0) {
    const split = holdOutRealValidation(combined.rows, categories.map((c) => c.name), opts.realValidation, opts.seed);
    combined.rows = split.rows;
    validationData = join(run, 'validation.jsonl');
    await mkdir(run, { recursive: true });
    await writeFile(validationData, `${split.validation.join('\n')}\n`);
    for (const [name, h] of Object.entries(split.heldOut)) {
      const n = counts[name] as CategoryCounts;
      n.testNormals -= h.normals;
      n.testDefects -= h.defects;
      log(`${name}: ${h.defects} test defects + ${h.normals} test normals held out as real validation data (left out of the test split)`);
    }
  }
  await writeManifest(combined, categories.map((c) => c.name), manifest);
  log(`run folder ${run}`);

  const command = `npm run bench:real${argv.length > 0 ? ` -- ${argv.join(' ')}` : ''}`;
  const results = await runBenchPipeline({ opts, run, manifest, categories, counts, command, log, ...(validationData ? { validationData } : {}) });
  await writeResults(opts, run, results);
  return 0;
}

/**
 * --reroute FILE: the categories, counts, manifest and (with --real-validation) validation folder of the run that
 * wrote FILE; its artifacts stay where they are, the new map and routed predictions go to a new run folder.
 */
async function reroute(opts: BenchOptions, argv: string[]): Promise<number> {
  const file = opts.reroute as string;
  const reuse = JSON.parse(await readFile(file, 'utf8')) as BenchResults;
  if (reuse.schema !== BENCH_REAL_SCHEMA || !Array.isArray(reuse.categories)) {
    throw new MadenetError('E_SCHEMA', `--reroute ${file} is not a bench:real results file; expected the real.json of an earlier run (schema ${BENCH_REAL_SCHEMA}).`);
  }
  const manifest = join(reuse.out, 'manifest.jsonl');
  if (!(await stat(manifest).catch(() => null))) {
    throw new MadenetError('E_DATASET', `--reroute ${file}: its run folder has no manifest at ${manifest}; expected the folder of that run (artifacts are reused from it).`);
  }
  const held = join(reuse.out, 'validation.jsonl');
  const validationData = (await stat(held).catch(() => null)) ? held : undefined;
  const categories: FoundCategory[] = reuse.categories.map((c) => ({ name: c.name, rel: c.dir, dir: join(reuse.dataRoot, c.dir) }));
  const counts: Record<string, CategoryCounts> = Object.fromEntries(
    reuse.categories.map((c) => [c.name, { trainNormals: c.trainNormals, trainDefects: c.trainDefects, testNormals: c.testNormals, testDefects: c.testDefects, resolution: c.resolution, errors: [] }]),
  );
  const run = join(opts.out, new Date().toISOString().replace(/[:.]/g, '-'));
  log(`rerouting ${reuse.categories.map((c) => c.name).join(', ')} on the artifacts of ${reuse.out}; new run folder ${run}`);
  const command = `npm run bench:real -- ${argv.join(' ')}`;
  const results = await runBenchPipeline({ opts: { ...opts, data: reuse.dataRoot, smoke: reuse.mode === 'smoke', budgetMinutes: reuse.budgetMinutesPerCategory, epochs: (reuse.settings.epochsOverride as BenchOptions['epochs'] | undefined) ?? {} }, run, manifest, categories, counts, command, log, reuse, ...(validationData ? { validationData } : {}) });
  results.commands = [...reuse.commands, command];
  await writeResults(opts, run, results);
  return 0;
}

async function writeResults(opts: BenchOptions, run: string, results: BenchResults): Promise<void> {
  results.totalSeconds = (performance.now() - started) / 1000;

  const dir = opts.results || run;
  await mkdir(dir, { recursive: true });
  const md = join(dir, 'real.md');
  await writeFile(md, renderMarkdown(results));
  await writeFile(join(dir, 'real.json'), `${JSON.stringify(results, null, 2)}\n`);
  log(`wrote ${display(md)} and real.json next to it (${results.totalSeconds.toFixed(0)} s in all)`);
  for (const c of results.categories) {
    log(`${c.name}: routed -> ${c.routed.chosen}, image AUROC ${fmtN(c.routed.imageAuroc)}, pixel AUROC ${fmtN(c.routed.pixelAuroc)}`);
  }
}

/** --categories, else everything; --smoke without --categories takes the two smallest (two: the classifier needs them). */
function selectCategories(found: FoundCategory[], counts: Record<string, CategoryCounts>, opts: BenchOptions): FoundCategory[] {
  if (opts.categories) {
    const unknown = opts.categories.filter((n) => !found.some((c) => c.name === n));
    if (unknown.length > 0) {
      throw new MadenetError('E_USAGE', `--categories ${unknown.join(', ')} not found; expected some of: ${found.map((c) => c.name).join(', ')}.`);
    }
    return found.filter((c) => opts.categories?.includes(c.name));
  }
  if (!opts.smoke) return found;
  const size = (c: FoundCategory): number => {
    const n = counts[c.name] as CategoryCounts;
    return n.trainNormals + n.trainDefects + n.testNormals + n.testDefects;
  };
  const smallest = [...found].sort((a, b) => size(a) - size(b) || (a.name < b.name ? -1 : 1)).slice(0, 2);
  return found.filter((c) => smallest.includes(c));
}

function display(path: string): string {
  const rel = relative(PROJECT_ROOT, path);
  return rel.startsWith('..') ? path : rel;
}

function fmtN(v: number | null): string {
  return v === null ? 'n/a' : v.toFixed(3);
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    const e = err as Error & { code?: string; suggestions?: string[] };
    process.stderr.write(`bench:real failed: ${e.code ? `${e.code}: ` : ''}${e.message}\n`);
    for (const s of e.suggestions ?? []) process.stderr.write(`  ${s}\n`);
    if (!(err instanceof MadenetError)) process.stderr.write(`${e.stack ?? ''}\n`);
    process.exit(1);
  },
);
