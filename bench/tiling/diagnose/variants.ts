// Variants of tiled PatchCore on raw tile features precomputed by features.ts (see README.md): position channels
// (none / tile-local / image frame), coreset ratio, tile score (max patch, top 1% / 10% / max of the smoothed map)
// and per-place calibration (none, z-score, mean only, z-score shrunk as io/tile-calibration.ts does).
//   node --import tsx bench/tiling/diagnose/variants.ts features=DIR pos=tile res=256 ntrain=6 eval=V512
import * as tf from '@tensorflow/tfjs';
import { readdirSync, readFileSync, existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { initRuntime } from '../../../src/pipeline/runtime/backend.js';
import { greedyCoreset } from '../../../src/pipeline/submodels/patchcore/model/coreset.js';
import { nearestDistances } from '../../../src/pipeline/submodels/patchcore/model/knn.js';
import { patchcoreAnomalyMap } from '../../../src/pipeline/submodels/patchcore/model/anomaly-map.js';
import { tileGrid } from '../../../src/pipeline/io/tiles.js';

const args = Object.fromEntries(process.argv.slice(2).map((a) => a.split('=')) as [string, string][]);
const POS = args.pos ?? 'tile'; const W = Number(args.w ?? 128); const RATIO = Number(args.ratio ?? 0.01);
const NTRAIN = Number(args.ntrain ?? 24); const IMG = Number(args.img ?? 512); const RES = Number(args.res ?? 128); const TILE = 128; const G = RES / 8; const D = 128; const FD = args.features ?? (RES === 128 ? '/tmp/tl/F' : `/tmp/tl/F${RES}`);
const EVAL = args.eval ?? 'V512';
await initRuntime({ backend: 'wasm', threads: 2 });
const grid = tileGrid(IMG, IMG, TILE, 0.25); const T = grid.length;
const load = (dir: string, f: string) => new Float32Array(readFileSync(join(dir, f)).buffer.slice(0));
function withPos(raw: Float32Array): Float32Array {
  if (POS === 'none') return raw;
  const out = new Float32Array(T * G * G * (D + 2));
  for (let t = 0; t < T; t++) for (let y = 0; y < G; y++) for (let x = 0; x < G; x++) {
    const i = (t * G + y) * G + x;
    out.set(raw.subarray(i * D, (i + 1) * D), i * (D + 2));
    let r = (y + 0.5) / G, c = (x + 0.5) / G;
    if (POS === 'image') { const g = grid[t]!; r = (g.top + (y + 0.5) * TILE / G) / IMG; c = (g.left + (x + 0.5) * TILE / G) / IMG; }
    out[i * (D + 2) + D] = r * W; out[i * (D + 2) + D + 1] = c * W;
  }
  return out;
}
const dim = POS === 'none' ? D : D + 2;
const fdir = `${FD}/D${IMG}`;
const trainFiles = readdirSync(fdir).filter((f) => f.startsWith('DPAK__train__')).sort();
const bankFiles = trainFiles.slice(0, NTRAIN); const calFiles = trainFiles.slice(24);
const t0 = Date.now();
const all = new Float32Array(bankFiles.length * T * G * G * dim);
bankFiles.forEach((f, k) => all.set(withPos(load(fdir, f)), k * T * G * G * dim));
const rows = all.length / dim;
const size = Math.ceil(RATIO * rows);
const bankPath = `${FD}/bank-${POS}-${W}-${RATIO}-${NTRAIN}-${RES}.f32`;
let bank: tf.Tensor2D;
if (existsSync(bankPath)) bank = tf.tensor2d(new Float32Array(readFileSync(bankPath).buffer.slice(0)), [size, dim]);
else {
  bank = tf.tidy(() => { const x = tf.tensor2d(all, [rows, dim]); return RATIO >= 1 ? x : tf.gather(x, tf.tensor1d(greedyCoreset(x, { size, seed: 0, projectionDim: 128 }), 'int32')); }) as tf.Tensor2D;
  writeFileSync(bankPath, Buffer.from(((await bank.data()) as Float32Array).buffer));
}
console.error(`bank ${rows} -> ${bank.shape[0]} in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
// Per image: per tile [max, top1%, top10%] of the smoothed map.
async function tileScores(raw: Float32Array): Promise<number[][]> {
  const q = withPos(raw);
  const out = tf.tidy(() => {
    const dist = nearestDistances(tf.tensor2d(q, [T * G * G, dim]), bank).dist.reshape([T, G, G, 1]) as tf.Tensor4D;
    const maps = patchcoreAnomalyMap(dist, RES, 4).reshape([T, RES * RES]);
    const mx = tf.max(dist.reshape([T, G * G]), 1);
    const k1 = tf.mean(tf.topk(maps as tf.Tensor2D, Math.ceil(0.01 * RES * RES)).values, 1);
    const k10 = tf.mean(tf.topk(maps as tf.Tensor2D, Math.ceil(0.1 * RES * RES)).values, 1);
    const mmax = tf.max(maps, 1);
    return tf.stack([mx, k1, k10, mmax], 1);
  });
  const a = (await out.data()) as Float32Array; out.dispose();
  return Array.from({ length: T }, (_, t) => Array.from(a.subarray(t * 4, t * 4 + 4)));
}
function auroc(pos: number[], neg: number[]): number { let s = 0; for (const p of pos) for (const n of neg) s += p > n ? 1 : p === n ? 0.5 : 0; return s / (pos.length * neg.length); }
const cal: number[][][] = []; for (const f of calFiles) cal.push(await tileScores(load(fdir, f)));
const edir = `${FD}/${EVAL}`;
const evalFiles = readdirSync(edir).filter((f) => f.startsWith('DPAK__test__')).sort();
const ev: { label: number; type: string; s: number[][] }[] = [];
for (const f of evalFiles) ev.push({ label: f.startsWith('DPAK__test__good') ? 0 : 1, type: f.split('__')[2]!, s: await tileScores(load(edir, f)) });
const names = ['max', 'top1', 'top10', 'mapmax'];
const res: string[] = [];
for (let m = 0; m < 4; m++) {
  for (const calib of ['none', 'pos', 'posmean', 'shrink']) {
    const mu = Array.from({ length: T }, (_, t) => cal.reduce((s, c) => s + c[t]![m]!, 0) / cal.length);
    const sd = Array.from({ length: T }, (_, t) => Math.max(1e-6, Math.sqrt(cal.reduce((s, c) => s + (c[t]![m]! - mu[t]!) ** 2, 0) / cal.length)));
    const gm = cal.flatMap((c) => c.map((v) => v[m]!)); const gmu = gm.reduce((a, b) => a + b, 0) / gm.length; const gvar = gm.reduce((a, b) => a + (b - gmu) ** 2, 0) / gm.length;
    const n = cal.length; const smu = mu.map((v) => (n * v + 2 * gmu) / (n + 2));
    const ssd = smu.map((v, t) => Math.sqrt((cal.reduce((a, c) => a + (c[t]![m]! - v) ** 2, 0) + 2 * gvar) / (n + 2)));
    if (calib === 'shrink') { for (let t = 0; t < T; t++) { mu[t] = smu[t]!; sd[t] = ssd[t]!; } }
    const score = (s: number[][]) => Math.max(...s.map((v, t) => calib === 'none' ? v[m]! : calib === 'pos' || calib === 'shrink' ? (v[m]! - mu[t]!) / sd[t]! : v[m]! - mu[t]!));
    const sc = ev.map((e) => ({ ...e, v: score(e.s) }));
    const neg = sc.filter((e) => e.label === 0).map((e) => e.v);
    const types = [...new Set(sc.filter((e) => e.label === 1).map((e) => e.type))].sort();
    const per = types.map((ty) => `${ty.slice(0, 6)} ${auroc(sc.filter((e) => e.type === ty).map((e) => e.v), neg).toFixed(2)}`).join(' ');
    res.push(`${names[m]!.padEnd(6)} cal=${calib.padEnd(7)} AUROC ${auroc(sc.filter((e) => e.label === 1).map((e) => e.v), neg).toFixed(3)}  ${per}`);
  }
}
console.log(`pos=${POS} w=${W} ratio=${RATIO} ntrain=${NTRAIN} eval=${EVAL} bank=${bank.shape[0]} (${((Date.now() - t0) / 1000).toFixed(0)} s)\n` + res.join('\n'));
