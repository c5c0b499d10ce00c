// Seconds per SFAD epoch with the frozen features recomputed every epoch (--feature-memory-mb 0: the backbone
// runs on every training batch and every validation image, as before the bank) and computed once (the default:
// training features banked before the first epoch, validation features memoised after it). Wall and process-CPU
// seconds per epoch (CPU is what a loaded shared machine distorts least), the one-time extraction before epoch 1,
// and whether both settings trained the same model. Usage:
//   node --import tsx bench/sfad-frozen/run.ts --data ROOT --category C [--backbone B] [--image-size S] [--epochs N] [--out DIR]
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { SFAD_BENCH_OPTIONS } from './options.js';
import { trainSfad, type TrainSfadResult } from '../../src/pipeline/services/train-sfad.js';
import { cpuSecondsSince } from '../../src/pipeline/runtime/cpu-time.js';

const { values } = parseArgs({
  options: {
    ...SFAD_BENCH_OPTIONS,
    epochs: { type: 'string', default: '3' },
    out: { type: 'string' },
    /** Which of recompute, tfjs, auto to run (comma list). */
    settings: { type: 'string', default: 'recompute,tfjs,auto' },
  },
});
if (!values.data || !values.category) throw new Error('--data and --category are required');
const out = values.out ?? (await mkdtemp(join(tmpdir(), 'madenet-sfad-frozen-bench-')));

interface Row {
  setting: string;
  result: TrainSfadResult;
  /** Process CPU seconds of each epoch; the first also holds the run's setup (dataset, backbone, the bank). */
  epochCpu: number[];
  totalCpu: number;
  totalWall: number;
}

const cpu = (): number => cpuSecondsSince();

async function one(setting: string, featureBudgetBytes: number | undefined, featureEngine: 'tfjs' | 'auto'): Promise<Row> {
  const cpu0 = cpu();
  const wall0 = performance.now();
  const marks: number[] = [];
  const result = await trainSfad({
    data: values.data as string,
    category: values.category as string,
    out: join(out, setting.replace(/[^a-z]+/g, '-')),
    preset: 'small',
    seed: 42,
    backend: 'wasm',
    threads: 1,
    checkpointEvery: 0,
    epochs: Number(values.epochs),
    backbone: values.backbone,
    imageSize: values['image-size'] ? Number(values['image-size']) : undefined,
    featureBudgetBytes,
    featureEngine,
    onEpoch: () => marks.push(cpu()),
  });
  const epochCpu = marks.map((m, i) => m - (i === 0 ? cpu0 : (marks[i - 1] as number)));
  return { setting, result, epochCpu, totalCpu: cpu() - cpu0, totalWall: (performance.now() - wall0) / 1000 };
}

const mean = (a: number[]): number => a.reduce((s, x) => s + x, 0) / Math.max(a.length, 1);
const wanted = new Set((values.settings as string).split(','));
const rows: Row[] = [];
if (wanted.has('recompute')) rows.push(await one('recompute every epoch (--feature-memory-mb 0)', 0, 'tfjs'));
if (wanted.has('tfjs')) rows.push(await one('computed once, tfjs (--feature-engine tfjs)', undefined, 'tfjs'));
if (wanted.has('auto')) rows.push(await one('computed once, auto (default)', undefined, 'auto'));
console.log(`SFAD small, ${values.backbone}, ${values.category}, ${values.epochs} epochs, wasm 1 thread`);
console.log('| setting | train imgs | epoch 1 incl. setup: wall / CPU s | later epochs: mean wall s | mean CPU s | run wall / CPU s | validation features from memory | val image AUROC |');
for (const r of rows) {
  const wall = r.result.epochs.map((e) => e.seconds);
  const v = r.result.validationFeatures;
  console.log(
    `| ${r.setting} [${r.result.featureEngine.used}] | ${r.result.trainImages} | ${(wall[0] ?? 0).toFixed(1)} / ${(r.epochCpu[0] ?? 0).toFixed(1)} | ${mean(wall.slice(1)).toFixed(2)} | ${mean(r.epochCpu.slice(1)).toFixed(2)} | ${r.totalWall.toFixed(0)} / ${r.totalCpu.toFixed(0)} | ${v.hits} of ${v.hits + v.misses} | ${r.result.metrics.imageAuroc?.toFixed(3)} |`,
  );
}
console.log(JSON.stringify(rows.map((r) => ({ setting: r.setting, artifact: r.result.artifact.dir, wall: r.result.epochs.map((e) => e.seconds), cpu: r.epochCpu, val: r.result.metrics.imageAuroc }))));
