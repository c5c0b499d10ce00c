// Bank layouts for tiled PatchCore at 2x tiles on raw tile features precomputed by features.ts: one shared bank
// (greedy coreset over all train tiles, or per-place coresets merged) vs one bank per tile place (each tile scored
// only against train tiles of its own place), with N bank images and coreset ratio R. Calibration: the shipped
// shrunk per-place z-score from train images 25-30 (held out); tile score: top 1% of the smoothed map (shipped),
// max patch, top 10%.
//   node --import tsx bench/tiling/diagnose/places.ts features=/tmp/tl/F256 layout=place|merged|shared ntrain=24 ratio=0.01 eval=V512,W512
import * as tf from '@tensorflow/tfjs';
import { readdirSync, readFileSync, existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { initRuntime } from '../../../src/pipeline/runtime/backend.js';
import { greedyCoreset } from '../../../src/pipeline/submodels/patchcore/model/coreset.js';
import { nearestDistances } from '../../../src/pipeline/submodels/patchcore/model/knn.js';
import { patchcoreAnomalyMap } from '../../../src/pipeline/submodels/patchcore/model/anomaly-map.js';
import { tileCalibration, tileCalibrator } from '../../../src/pipeline/io/tile-calibration.js';
import { tileGrid } from '../../../src/pipeline/io/tiles.js';

const args = Object.fromEntries(process.argv.slice(2).map((a) => a.split('=')) as [string, string][]);
const LAYOUT = args.layout ?? 'place'; const RATIO = Number(args.ratio ?? 0.01); const NTRAIN = Number(args.ntrain ?? 24);
const W = 128; const RES = 256; const G = RES / 8; const D = 128; const DIM = D + 2; const FD = args.features ?? '/tmp/tl/F256';
const EVALS = (args.eval ?? 'V512,W512').split(',');
await initRuntime({ backend: 'wasm', threads: Number(args.threads ?? 1) });
const grid = tileGrid(512, 512, 128, 0.25); const T = grid.length; const P = G * G;
const load = (dir: string, f: string) => { const raw = new Float32Array(readFileSync(join(dir, f)).buffer.slice(0)); const out = new Float32Array(T * P * DIM);
  for (let i = 0; i < T * P; i++) { const y = Math.floor((i % P) / G), x = i % G; out.set(raw.subarray(i * D, (i + 1) * D), i * DIM); out[i * DIM + D] = ((y + 0.5) / G) * W; out[i * DIM + D + 1] = ((x + 0.5) / G) * W; }
  return out; };
const fdir = `${FD}/D512`;
const trainFiles = readdirSync(fdir).filter((f) => f.startsWith('DPAK__train__')).sort();
const bankFiles = trainFiles.slice(0, NTRAIN); const calFiles = trainFiles.slice(24);
const t0 = Date.now(); const c0 = process.cpuUsage();
const bankPath = `/tmp/t2/bank-${LAYOUT}-${RATIO}-${NTRAIN}.json`;
let banks: Float32Array[]; // per place (place/merged: merged concatenated later)
if (args.bankf) banks = [new Float32Array(readFileSync(args.bankf).buffer.slice(0))];
else if (existsSync(bankPath)) banks = (JSON.parse(readFileSync(bankPath, 'utf8')) as number[][]).map((a) => Float32Array.from(a));
else {
  const imgs = bankFiles.map((f) => load(fdir, f));
  if (LAYOUT === 'shared') {
    const all = new Float32Array(imgs.length * T * P * DIM); imgs.forEach((a, k) => all.set(a, k * T * P * DIM));
    const rows = all.length / DIM; const idx = greedyCoreset(tf.tensor2d(all, [rows, DIM]), { size: Math.ceil(RATIO * rows), seed: 0, projectionDim: 128 });
    const b = new Float32Array(idx.length * DIM); idx.forEach((r, k) => b.set(all.subarray(r * DIM, (r + 1) * DIM), k * DIM)); banks = [b];
  } else {
    banks = [];
    for (let t = 0; t < T; t++) {
      const x = new Float32Array(imgs.length * P * DIM); imgs.forEach((a, k) => x.set(a.subarray(t * P * DIM, (t + 1) * P * DIM), k * P * DIM));
      const rows = imgs.length * P; const idx = greedyCoreset(tf.tensor2d(x, [rows, DIM]), { size: Math.ceil(RATIO * rows), seed: t, projectionDim: 128 });
      const b = new Float32Array(idx.length * DIM); idx.forEach((r, k) => b.set(x.subarray(r * DIM, (r + 1) * DIM), k * DIM)); banks.push(b);
    }
  }
  writeFileSync(bankPath, JSON.stringify(banks.map((b) => Array.from(b))));
}
const bankT = (LAYOUT === 'place' ? banks : [(() => { const n = banks.reduce((s, b) => s + b.length, 0); const m = new Float32Array(n); let o = 0; for (const b of banks) { m.set(b, o); o += b.length; } return m; })()]).map((b) => tf.tensor2d(b, [b.length / DIM, DIM]));
const cpu = (c: NodeJS.CpuUsage) => ((c.user + c.system) / 1e6).toFixed(0);
console.error(`bank ${LAYOUT} ${bankT.map((b) => b.shape[0]).reduce((a, b) => a + b, 0)} rows in ${((Date.now() - t0) / 1000).toFixed(0)} s wall, ${cpu(process.cpuUsage(c0))} s cpu`);
async function tileScores(q: Float32Array): Promise<number[][]> {
  const out = tf.tidy(() => {
    const dists = LAYOUT === 'place'
      ? tf.concat(bankT.map((b, t) => nearestDistances(tf.tensor2d(q.subarray(t * P * DIM, (t + 1) * P * DIM), [P, DIM]), b).dist))
      : nearestDistances(tf.tensor2d(q, [T * P, DIM]), bankT[0]!).dist;
    const dist = dists.reshape([T, G, G, 1]) as tf.Tensor4D;
    const maps = patchcoreAnomalyMap(dist, RES, 4).reshape([T, RES * RES]) as tf.Tensor2D;
    return tf.stack([tf.max(dist.reshape([T, P]), 1), tf.mean(tf.topk(maps, Math.ceil(0.01 * RES * RES)).values, 1), tf.mean(tf.topk(maps, Math.ceil(0.1 * RES * RES)).values, 1)], 1);
  });
  const a = (await out.data()) as Float32Array; out.dispose();
  return Array.from({ length: T }, (_, t) => Array.from(a.subarray(t * 3, t * 3 + 3)));
}
function auroc(pos: number[], neg: number[]): number { let s = 0; for (const p of pos) for (const n of neg) s += p > n ? 1 : p === n ? 0.5 : 0; return s / (pos.length * neg.length); }
const cal: number[][][] = []; for (const f of calFiles) cal.push(await tileScores(load(fdir, f)));
const names = ['max', 'top1', 'top10'];
const lines: string[] = [];
for (const EVAL of EVALS) {
  const edir = `${FD}/${EVAL}`;
  const ev: { label: number; type: string; s: number[][] }[] = [];
  for (const f of readdirSync(edir).filter((f) => f.startsWith('DPAK__test__')).sort()) ev.push({ label: f.startsWith('DPAK__test__good') ? 0 : 1, type: f.split('__')[2]!, s: await tileScores(load(edir, f)) });
  // Tile scores kept for re-scoring (calibration variants) without the kNN.
  writeFileSync(`/tmp/t2/scores-${LAYOUT}-${RATIO}-${NTRAIN}-${EVAL}.json`, JSON.stringify({ cal, ev }));
  for (let m = 0; m < 3; m++) for (const calib of ['none', 'shrink']) {
    const c = tileCalibrator(tileCalibration(cal.flatMap((s) => s.map((v, t) => ({ region: grid[t]!, score: v[m]! }))))!);
    const sc = ev.map((e) => ({ ...e, v: Math.max(...e.s.map((v, t) => (calib === 'none' ? v[m]! : c(grid[t]!, v[m]!)))) }));
    const neg = sc.filter((e) => e.label === 0).map((e) => e.v);
    const types = [...new Set(sc.filter((e) => e.label === 1).map((e) => e.type))].sort();
    const per = types.map((ty) => `${ty.slice(0, 6)} ${auroc(sc.filter((e) => e.type === ty).map((e) => e.v), neg).toFixed(2)}`).join(' ');
    lines.push(`${EVAL} ${names[m]!.padEnd(5)} cal=${calib.padEnd(6)} AUROC ${auroc(sc.filter((e) => e.label === 1).map((e) => e.v), neg).toFixed(3)}  ${per}`);
  }
}
console.log(`layout=${LAYOUT} ratio=${RATIO} ntrain=${NTRAIN} rows=${bankT.map((b) => b.shape[0]).reduce((a, b) => a + b, 0)} (${((Date.now() - t0) / 1000).toFixed(0)} s wall, ${cpu(process.cpuUsage(c0))} s cpu)\n` + lines.join('\n'));
