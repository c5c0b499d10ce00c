// bench:real's memory-bank part: train-patchcore + evaluate --model (exact metrics on the test split) on every
// shared MVTec-layout category (or --categories), recording the backbone, training seconds and images/s.
// Writes bench/results/patchcore.{md,json}. `npm run bench:real:patchcore -- [flags]`, i.e.
//   node --import tsx bench/real/patchcore.ts [--data DIR] [--categories a,b] [--backbone ID] [--results DIR]
import { mkdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { trainPatchcore, type TrainPatchcoreResult } from '../../src/pipeline/services/train-patchcore.js';
import { discoverCategories } from './discover.js';
import { evaluateSubmodel, type SubmodelEvaluation } from './evaluate-runs.js';
import { gitState, machineInfo } from './machine.js';
import { cpuSecondsSince } from '../../src/pipeline/runtime/cpu-time.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const { values } = parseArgs({
  options: {
    data: { type: 'string', default: process.env.MADENET_BENCH_DATA ?? join(root, '..', 'shared', 'data') },
    categories: { type: 'string' },
    backbone: { type: 'string' },
    'image-size': { type: 'string' },
    'coreset-ratio': { type: 'string' },
    'global-weight': { type: 'string' },
    results: { type: 'string', default: join(root, 'bench', 'results') },
    out: { type: 'string', default: join(tmpdir(), 'madenet-bench-patchcore', new Date().toISOString().replace(/[:.]/g, '-')) },
    'feature-cache': { type: 'string' },
    threads: { type: 'string', default: '1' },
  },
  allowPositionals: false,
});

const found = await discoverCategories(resolve(values.data)).catch(() => []);
const wanted = values.categories?.split(',');
// The reduced MVTec copies duplicate a full category under another collection: prefer the full one.
// Names clash across collections (discover then joins the path), so match and train on the folder name.
const categories = found
  .filter((c) => !c.rel.includes('_reduced'))
  .map((c) => ({ ...c, name: basename(c.dir) }))
  .filter((c) => !wanted || wanted.includes(c.name));
if (categories.length === 0) {
  console.log(`No MVTec-layout category under ${values.data}${wanted ? ` named ${wanted.join(', ')}` : ''}; nothing to run.`);
  process.exit(0);
}

interface Row {
  category: string;
  data: string;
  train: Pick<TrainPatchcoreResult, 'backbone' | 'provenance' | 'layers' | 'globalLayer' | 'imageSize' | 'trainImages' | 'patchRows' | 'bankRows' | 'featureDim' | 'seconds' | 'imagesPerSecond' | 'timings' | 'featureCache' | 'featureEngine'> & {
    validationImageAuroc: number | null;
    /** This process's user + system CPU seconds over the training (onnxruntime's threads included): a loaded machine inflates wall seconds, not these. */
    cpuSeconds: number;
  };
  test: SubmodelEvaluation;
}

const rows: Row[] = [];
const num = (v: string | undefined): number | undefined => (v === undefined ? undefined : Number(v));
for (const c of categories) {
  const data = dirname(c.dir);
  console.error(`patchcore ${c.name}: training on ${data}`);
  const cpu0 = process.cpuUsage();
  const r = await trainPatchcore({
    data,
    category: c.name,
    out: join(values.out, 'artifacts'),
    seed: 42,
    backend: 'wasm',
    threads: Number(values.threads),
    ...(values.backbone ? { backbone: values.backbone } : {}),
    imageSize: num(values['image-size']),
    coresetRatio: num(values['coreset-ratio']),
    globalWeight: num(values['global-weight']),
    featureCache: values['feature-cache'] ?? join(values.out, 'feature-cache'),
  });
  const cpuSeconds = cpuSecondsSince(cpu0);
  console.error(`patchcore ${c.name}: ${r.seconds.toFixed(0)} s wall, ${cpuSeconds.toFixed(0)} s CPU, evaluating the test split`);
  const test = await evaluateSubmodel({ model: r.artifact.dir, data, category: c.name, out: join(values.out, 'eval', c.name), backend: 'wasm', threads: Number(values.threads) });
  const { backbone, provenance, layers, globalLayer, imageSize, trainImages, patchRows, bankRows, featureDim, seconds, imagesPerSecond, timings, featureCache, featureEngine } = r;
  rows.push({ category: c.name, data: c.rel, train: { backbone, provenance, layers, globalLayer, imageSize, trainImages, patchRows, bankRows, featureDim, seconds, imagesPerSecond, timings, featureCache, featureEngine, validationImageAuroc: r.metrics.imageAuroc, cpuSeconds }, test });
  console.error(`patchcore ${c.name}: image AUROC ${test.imageAuroc?.toFixed(3)}, pixel AUROC ${test.pixelAuroc?.toFixed(3)}`);
}

const f = (v: number | null | undefined): string => (v === null || v === undefined ? 'n/a' : v.toFixed(3));
const md = [
  '# bench:real — PatchCore memory bank on the shared real categories',
  '',
  `Run ${new Date().toISOString()}, commit ${gitState(root).commit}${gitState(root).dirty ? ' (dirty)' : ''}, ${JSON.stringify(machineInfo())}; wasm, ${values.threads} thread(s), seed 42.`,
  'Test split, exact metrics (`evaluate --model` path). Training = feature extraction (train + held-out normals) + coreset + validation (every member and the ensemble\'s own validation for an ensemble); training CPU s = user + system CPU seconds of the process over it.',
  '',
  '| category | backbone (package, licence) | layers | px | train imgs | bank rows | features | training s (wall) | training CPU s | train img/s | infer img/s | image AUROC | pixel AUROC | Pixel-AP | AUPRO |',
  '|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|',
  ...rows.map((r) => {
    const p = r.train.provenance;
    const from = p.kind === 'npm' ? `${r.train.backbone} (${p.package} ${p.version}, ${p.license})` : r.train.backbone;
    return `| ${r.category} | ${from} | ${r.train.layers.join('+')}${r.train.globalLayer ? ` + global ${r.train.globalLayer}` : ''} | ${r.train.imageSize} | ${r.train.trainImages} | ${r.train.bankRows} of ${r.train.patchRows} | ${r.train.featureEngine.used} | ${r.train.seconds.toFixed(0)} | ${r.train.cpuSeconds.toFixed(0)} | ${r.train.imagesPerSecond.toFixed(2)} | ${r.test.imagesPerSecond.toFixed(2)} | ${f(r.test.imageAuroc)} | ${f(r.test.pixelAuroc)} | ${f(r.test.pixelAp)} | ${f(r.test.aupro)} |`;
  }),
  '',
].join('\n');
await mkdir(values.results, { recursive: true });
await writeFile(join(values.results, 'patchcore.md'), md);
await writeFile(join(values.results, 'patchcore.json'), `${JSON.stringify({ rows }, null, 2)}\n`);
console.log(md);
