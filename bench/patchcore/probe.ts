// Probe: PatchCore-style scoring with packaged backbones on a real MVTec-layout category (no artifacts).
// node --import tsx bench/patchcore/probe.ts --data ../shared/data/mvtec_ad --category transistor --net npm:nsfwjs/mobilenet_v2 --layers block_5_add,block_12_add --size 256
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import { initRuntime } from '../../src/pipeline/runtime/backend.js';
import { loadDataset, samplesOf } from '../../src/pipeline/io/dataset.js';
import { decodeImage } from '../../src/pipeline/io/decode.js';
import { loadNpmFeatureExtractor } from '../../src/pipeline/weights/npm-backbone.js';
import { patchFeatures, globalFeatures } from '../../src/models/patchcore/patch-features.js';
import { nearestDistances } from '../../src/models/patchcore/knn.js';
import { greedyCoreset } from '../../src/models/patchcore/coreset.js';
import { imageAuroc } from '../../src/pipeline/eval/image-metrics.js';

const { values } = parseArgs({ options: {
  data: { type: 'string' }, category: { type: 'string' }, net: { type: 'string' }, layers: { type: 'string' },
  size: { type: 'string', default: '256' }, global: { type: 'string', default: '' }, coreset: { type: 'string', default: '0.1' },
  'max-train': { type: 'string', default: '1000' },
} });
await initRuntime({ backend: 'wasm', threads: 1 });
const size = Number(values.size);
const layers = values.layers!.split(',');
const globalLayer = values.global || null;
const { model } = await loadNpmFeatureExtractor(values.net!, globalLayer ? [...layers, globalLayer] : layers, size);
const ds = await loadDataset(values.data!, { categories: [values.category!] });
const train = samplesOf(ds, { category: values.category!, split: 'train', label: 0 }).slice(0, Number(values['max-train']));
const test = samplesOf(ds, { category: values.category!, split: 'test' });
async function feats(paths: string[]): Promise<{ patches: Float32Array[]; globals: Float32Array[]; grid: number[] }> {
  const patches: Float32Array[] = []; const globals: Float32Array[] = []; let grid: number[] = [];
  for (let i = 0; i < paths.length; i += 8) {
    const imgs = await Promise.all(paths.slice(i, i + 8).map((p) => decodeImage(p, { size })));
    const out = tf.tidy(() => {
      const x = tf.stack(imgs.map((im) => tf.tensor3d(im.data, [size, size, 3]))) as tf.Tensor4D;
      const maps = model.predict(x) as tf.Tensor4D[] | tf.Tensor4D;
      const arr = Array.isArray(maps) ? maps : [maps];
      const pf = patchFeatures(arr.slice(0, layers.length));
      const g = globalLayer ? globalFeatures(arr[layers.length]!) : undefined;
      return { pf, g };
    }) as unknown as { pf: tf.Tensor4D; g?: tf.Tensor2D };
    grid = out.pf.shape.slice(1);
    const pd = out.pf.dataSync() as Float32Array; const n = imgs.length; const per = pd.length / n;
    for (let k = 0; k < n; k++) patches.push(pd.slice(k * per, (k + 1) * per));
    if (out.g) { const gd = out.g.dataSync() as Float32Array; const gp = gd.length / n; for (let k = 0; k < n; k++) globals.push(gd.slice(k * gp, (k + 1) * gp)); }
    tf.dispose([out.pf, out.g as tf.Tensor]);
    if (process.env.PROBE_VERBOSE) console.error(`batch ${i} ${Date.now() - t0}ms`);
  }
  return { patches, globals, grid };
}
let t0 = Date.now();
const tr = await feats(train.map((s) => s.path));
const [h, w, d] = tr.grid as [number, number, number];
console.error(`train features ${train.length} grid ${h}x${w}x${d} ${(Date.now() - t0) / 1000}s`);
const all = new Float32Array(tr.patches.length * h * w * d); tr.patches.forEach((p, i) => all.set(p, i * p.length));
const rows = all.length / d;
t0 = Date.now();
const ratio = Number(values.coreset);
let bankArr = all;
if (ratio < 0) {
  // Probe shortcut: a seeded random subset of -ratio x 1000 rows instead of the greedy coreset.
  const want = Math.min(rows, Math.round(-ratio * 1000)); const pick = new Set<number>(); let s = 12345;
  while (pick.size < want) { s = (s * 1103515245 + 12345) % 2147483648; pick.add(s % rows); }
  bankArr = new Float32Array(want * d); [...pick].forEach((r, k) => bankArr.set(all.subarray(r * d, (r + 1) * d), k * d));
} else if (ratio < 1) {
  const allT = tf.tensor2d(all, [rows, d]);
  const idx = greedyCoreset(allT, { size: Math.round(rows * ratio), seed: 0, projectionDim: 128 });
  allT.dispose();
  bankArr = new Float32Array(idx.length * d); idx.forEach((r, k) => bankArr.set(all.subarray(r * d, (r + 1) * d), k * d));
}
console.error(`coreset ${bankArr.length / d} of ${rows} ${(Date.now() - t0) / 1000}s`);
const bank = tf.tensor2d(bankArr, [bankArr.length / d, d]);
t0 = Date.now();
const te = await feats(test.map((s) => s.path));
const scores: number[] = []; const gscores: number[] = [];
const gbank = globalLayer ? tf.tensor2d(Float32Array.from(tr.globals.flatMap((g) => Array.from(g))), [tr.globals.length, tr.globals[0]!.length]) : null;
for (let i = 0; i < te.patches.length; i++) {
  const q = tf.tensor2d(te.patches[i]!, [h * w, d]);
  const { dist, index } = nearestDistances(q, bank);
  scores.push(dist.max().dataSync()[0]!);
  tf.dispose([q, dist, index]);
  if (gbank) { const gq = tf.tensor2d(te.globals[i]!, [1, gbank.shape[1]]); const r = nearestDistances(gq, gbank); gscores.push(r.dist.dataSync()[0]!); tf.dispose([gq, r.dist, r.index]); }
}
const labels = test.map((s) => (s.label === 0 ? 0 : 1));
console.error(`test ${(Date.now() - t0) / 1000}s`);
const z = (a: number[]) => { const m = a.reduce((s, v) => s + v, 0) / a.length; const sd = Math.sqrt(a.reduce((s, v) => s + (v - m) ** 2, 0) / a.length) || 1; return a.map((v) => (v - m) / sd); };
const res: Record<string, number | null> = { patch: imageAuroc(scores, labels) };
if (gscores.length) { res.global = imageAuroc(gscores, labels); const zs = z(scores), zg = z(gscores); for (const w of [0.5, 1, 2, 3]) res[`sum${w}`] = imageAuroc(zs.map((v, i) => v + w * zg[i]!), labels); }
console.log(JSON.stringify({ net: values.net, layers, size, globalLayer, coreset: ratio, ...res }));
