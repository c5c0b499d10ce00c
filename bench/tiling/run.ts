// `npm run bench:tiling`: small defects on large images, with and without tiling. For each image size (default 512
// and 1024 px) it renders a demo category as panels of 128 px parts (`dataset make-demo --panel`, defects of
// small types only: about 1% of the image side), trains PatchCore at the 128 px preset on whole images (resized
// down) and on 128 px tiles (`--tile 128`, each at --tile-image-size, default 256: 2x), and measures on the test split with
// `evaluate --model` (tiled models are scored by their tiles: stitched full-size map, image score over the whole).
// Every train and infer runs as its own `bin/run.js` process under /usr/bin/time, whose peak RSS shows whether
// memory stays flat as the image grows. Writes bench/results/tiling.{md,json}.
//   npm run bench:tiling -- [--sizes 512,1024] [--category DPAK] [--train 12] [--test 6] [--tile 128] [--patchcore-args '...'] [--out DIR]
import { spawn } from 'node:child_process';
import { copyFile, mkdir, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { generateDemoDataset, type DemoDefectType } from '../../src/pipeline/demo-data/index.js';
import { tileGrid } from '../../src/pipeline/io/tiles.js';
import { gitState, machineInfo } from '../real/machine.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const { values } = parseArgs({
  options: {
    sizes: { type: 'string', default: '512,1024' },
    category: { type: 'string', default: 'DPAK' },
    'defect-types': { type: 'string', default: 'solder_ball,scratch,foreign_material,bent_lead,solder_bridge' },
    train: { type: 'string', default: '12' },
    test: { type: 'string', default: '6' },
    cell: { type: 'string', default: '128' },
    tile: { type: 'string', default: '128' },
    'tile-overlap': { type: 'string', default: '0.25' },
    // Equal to the tiles of the smallest size (5 x 5 at 512 px): the same number of training tiles at every size.
    'max-tiles-per-image': { type: 'string', default: '25' },
    'image-size': { type: 'string', default: '128' },
    // The tiled model's input size: 256 = each 128 px tile upsampled 2x, so that PatchCore's finest feature cell
    // (stride 8) covers 4 source px and a 6-19 px defect spans several cells instead of part of one.
    'tile-image-size': { type: 'string', default: '256' },
    // Which models to run (whole, tiled or both).
    modes: { type: 'string', default: 'whole,tiled' },
    // Infer's peak RSS is measured on this many test images (a stream: the peak does not depend on how many).
    'rss-images': { type: 'string', default: '2' },
    // More train-patchcore flags for both models, e.g. "--coreset-ratio 0.1".
    'patchcore-args': { type: 'string', default: '' },
    threads: { type: 'string', default: '2' },
    seed: { type: 'string', default: '42' },
    results: { type: 'string', default: join(root, 'bench', 'results') },
    out: { type: 'string', default: join(tmpdir(), 'madenet-bench-tiling', new Date().toISOString().replace(/[:.]/g, '-')) },
    'no-write': { type: 'boolean', default: false },
  },
  allowPositionals: false,
});

const cli = join(root, 'bin', 'run.js');
const sizes = values.sizes.split(',').map(Number);
const cell = Number(values.cell);
const category = values.category;
const common = ['--threads', values.threads, '--backend', 'wasm'];
const patchcoreArgs = values['patchcore-args'].split(' ').filter((a) => a.length > 0);

interface Measured<T> {
  value: T;
  seconds: number;
  peakRssMb: number;
}

/** Runs `madenet ARGS` as its own process under /usr/bin/time; stdout parsed as the --json result. */
async function madenet<T>(args: string[]): Promise<Measured<T>> {
  const child = spawn('/usr/bin/time', ['-f', 'TIME %M %e', process.execPath, cli, ...args, '--json'], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, MADENET_NO_PROGRESS: '1' } });
  let out = '';
  let err = '';
  child.stdout.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr.on('data', (b: Buffer) => (err += b.toString()));
  const code = await new Promise<number>((ok) => child.on('close', (c) => ok(c ?? 1)));
  const m = /TIME (\d+) ([\d.]+)\s*$/.exec(err);
  if (code !== 0 || !m) throw new Error(`madenet ${args.join(' ')} failed (${code}):\n${err.slice(-3000)}\n${out.slice(-2000)}`);
  return { value: JSON.parse(out) as T, peakRssMb: Number(m[1]) / 1024, seconds: Number(m[2]) };
}

interface TrainJson {
  /** Bank images, or with --tile bank tiles. */
  trainImages: number;
  backbone: string;
  patchRows: number;
  bankRows: number;
  metrics: { imageAuroc: number | null };
  artifact: { dir: string };
}
interface EvalJson {
  rows: { category: string; defectType: string; imageAuroc: number | null; pixelAuroc: number | null; aupro: number | null }[];
}

interface Row {
  size: number;
  mode: 'whole' | 'tiled';
  /** The backbone train-patchcore used (its default differs with --tile). */
  backbone: string;
  /** Bank images (whole) or bank tiles (tiled), as the trainer reports them (after its validation hold-out). */
  trainImages: number | null;
  trainTiles: number | null;
  bankRows: number;
  trainSeconds: number;
  trainPeakRssMb: number;
  validationImageAuroc: number | null;
  imageAuroc: number | null;
  pixelAuroc: number | null;
  aupro: number | null;
  perType: Record<string, number | null>;
  inferSecondsPerImage: number;
  inferPeakRssMb: number;
  inferTiles: number;
}

const rows: Row[] = [];
const defectTypes = values['defect-types'].split(',') as DemoDefectType[];
const started = new Date();
for (const size of sizes) {
  const panel = size / cell;
  if (!Number.isInteger(panel)) throw new Error(`--sizes ${size} is not a multiple of --cell ${cell}.`);
  const data = join(values.out, `data-${size}`);
  console.error(`[tiling] ${size} px: rendering ${category} as ${panel}x${panel} panels into ${data}`);
  await generateDemoDataset({ out: data, categories: [category], size: cell, panel, perCategory: Number(values.train), testPerCategory: Number(values.test), defectsPerCategory: 0, testDefectsPerCategory: Number(values.test), defectTypes, seed: Number(values.seed) });
  // A few test images for infer's peak RSS, in a folder of their own.
  const rssDir = join(values.out, `rss-${size}`);
  await mkdir(rssDir, { recursive: true });
  const goods = (await readdir(join(data, category, 'test', 'good'))).sort().slice(0, Number(values['rss-images']));
  for (const g of goods) await copyFile(join(data, category, 'test', 'good', g), join(rssDir, g));

  for (const mode of values.modes.split(',') as ('whole' | 'tiled')[]) {
    const tag = `${mode}-${size}`;
    const tileArgs = mode === 'tiled' ? ['--tile', values.tile, '--tile-overlap', values['tile-overlap'], '--max-tiles-per-image', values['max-tiles-per-image']] : [];
    console.error(`[tiling] ${tag}: train-patchcore ${tileArgs.join(' ')}`);
    const train = await madenet<TrainJson>(['train-patchcore', '--data', data, '--category', category, '--out', join(values.out, tag, 'art'), '--image-size', mode === 'tiled' ? values['tile-image-size'] : values['image-size'], '--seed', values.seed, ...patchcoreArgs, ...tileArgs, ...common]);
    console.error(`[tiling] ${tag}: trained in ${train.seconds} s, peak RSS ${train.peakRssMb.toFixed(0)} MB; evaluate --model`);
    const evalOut = join(values.out, tag, 'eval');
    const ev = await madenet<EvalJson>(['evaluate', '--model', train.value.artifact.dir, '--data', data, '--out', evalOut, ...common]);
    const all = ev.value.rows.find((r) => r.category === category && r.defectType === 'all');
    const perType = Object.fromEntries(ev.value.rows.filter((r) => r.category === category && r.defectType !== 'all').map((r) => [r.defectType, r.imageAuroc]));
    // infer alone (no metrics), on the perfmap evaluate built: its peak RSS and seconds per image.
    const perfmap = join(evalOut, 'artifacts', 'perfmap', 'all');
    console.error(`[tiling] ${tag}: infer on ${goods.length} image(s) for peak RSS`);
    const inf = await madenet<{ images: { predicted: number } }>(['infer', '--perfmap', perfmap, '--input', rssDir, '--assume-category', category, '--out', join(values.out, tag, 'rss-infer'), ...common]);
    const inferTiles = mode === 'tiled' ? tileGrid(size, size, Number(values.tile), Number(values['tile-overlap'])).length : 1;
    const row: Row = {
      size,
      mode,
      backbone: train.value.backbone,
      trainImages: mode === 'whole' ? train.value.trainImages : null,
      trainTiles: mode === 'tiled' ? train.value.trainImages : null,
      bankRows: train.value.bankRows,
      trainSeconds: train.seconds,
      trainPeakRssMb: train.peakRssMb,
      validationImageAuroc: train.value.metrics.imageAuroc,
      imageAuroc: all?.imageAuroc ?? null,
      pixelAuroc: all?.pixelAuroc ?? null,
      aupro: all?.aupro ?? null,
      perType,
      inferSecondsPerImage: inf.seconds / Math.max(1, inf.value.images.predicted),
      inferPeakRssMb: inf.peakRssMb,
      inferTiles,
    };
    rows.push(row);
    console.error(`[tiling] ${tag}: image AUROC ${fmt(row.imageAuroc)}, pixel AUROC ${fmt(row.pixelAuroc)}, infer peak RSS ${row.inferPeakRssMb.toFixed(0)} MB`);
  }
}

function fmt(v: number | null | undefined): string {
  return v === null || v === undefined ? 'n/a' : v.toFixed(3);
}

const machine = machineInfo();
const git = gitState(root);
const md = [
  '# bench:tiling — small defects on large images, PatchCore with and without tiling',
  '',
  `Run ${started.toISOString()}, commit ${git.commit}${git.dirty ? ' (dirty)' : ''}, ${JSON.stringify(machine)}; wasm, ${values.threads} thread(s), seed ${values.seed}.`,
  `Command: \`npm run bench:tiling -- ${process.argv.slice(2).map((a) => (/[\s"]/.test(a) ? JSON.stringify(a) : a)).join(' ')}\``,
  `Data: \`dataset make-demo --category ${category} --size ${cell} --panel N --defect-types ${values['defect-types']}\`, ${values.train} train normals, ${values.test} good + ${values.test} defective test images per size;`,
  `each image is a panel of N x N parts of ${cell} px, the defect in one part. Model: train-patchcore (its default backbones: ${[...new Set(rows.map((r) => `${r.mode} ${r.backbone}`))].join(', ')}) at`,
  `--image-size ${values['image-size']}${patchcoreArgs.length ? ` ${patchcoreArgs.join(' ')}` : ''}; "whole" = the image resized down to it, "tiled" = --tile ${values.tile} --tile-overlap ${values['tile-overlap']} --max-tiles-per-image ${values['max-tiles-per-image']} --image-size ${values['tile-image-size']} (each tile scaled ${(Number(values['tile-image-size']) / Number(values.tile)).toFixed(1)}x), tile scores standardised per tile place by the held-out normals (the model's tile calibration) before their max.`,
  'Metrics: `evaluate --model` on the test split (a tiled model is scored by its tiles without --tile: stitched full-size map, image score over the whole).',
  `Peak RSS: /usr/bin/time of each \`bin/run.js\` process (train-patchcore; infer alone on ${values['rss-images']} test image(s), streamed).`,
  '',
  '| image px | model | train tiles | bank rows | train s | train peak RSS MB | val AUROC | test image AUROC | pixel AUROC | AUPRO | tiles/image at infer | infer s/image | infer peak RSS MB |',
  '|---|---|---|---|---|---|---|---|---|---|---|---|---|',
  ...rows.map((r) =>
    `| ${r.size} | ${r.mode} | ${r.trainTiles ?? `${r.trainImages} whole`} | ${r.bankRows} | ${r.trainSeconds.toFixed(0)} | ${r.trainPeakRssMb.toFixed(0)} | ${fmt(r.validationImageAuroc)} | **${fmt(r.imageAuroc)}** | ${fmt(r.pixelAuroc)} | ${fmt(r.aupro)} | ${r.inferTiles} | ${r.inferSecondsPerImage.toFixed(1)} | ${r.inferPeakRssMb.toFixed(0)} |`,
  ),
  '',
  'Image AUROC per defect type:',
  '',
  `| image px | model | ${Object.keys(rows[0]?.perType ?? {}).join(' | ')} |`,
  `|---|---|${Object.keys(rows[0]?.perType ?? {}).map(() => '---').join('|')}|`,
  ...rows.map((r) => `| ${r.size} | ${r.mode} | ${Object.values(r.perType).map(fmt).join(' | ')} |`),
  '',
].join('\n');
console.log(md);
if (!values['no-write']) {
  await mkdir(values.results, { recursive: true });
  await writeFile(join(values.results, 'tiling.md'), md);
  await writeFile(join(values.results, 'tiling.json'), `${JSON.stringify({ started: started.toISOString(), commit: git.commit, machine, settings: values, rows }, null, 2)}\n`);
  console.error(`[tiling] wrote ${join(values.results, 'tiling.md')}`);
}
