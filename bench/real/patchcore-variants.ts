// PatchCore variant explorer for hyper-parameter selection WITHOUT the test split: the raw backbone maps of the
// train normals, the held-out normals and the synthetic validation defects (the same plan, seed and textures as
// train-patchcore) are extracted once (on-disk cache), then every variant (patch size, position weight, top
// fraction, global weight, kNN reweighting, two-backbone ensemble) is scored on that validation set exactly as
// train-patchcore validates. The test split is read only for the variants named in --test, so a choice can be
// made on validation first and measured on test once.
//   node --import tsx bench/real/patchcore-variants.ts --data ../shared/data/mvtec_ad --category transistor \
//     --specs inc256,mb256 --cache /tmp/x/cache --out /tmp/x/val.json [--test inc256:p3:w64:t0.05:g0.5:r0,...]
import * as tf from '@tensorflow/tfjs';
import { createHash } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { localAggregate } from '../../src/models/components/feature-extractor-aggregation.js';
import { extractFeatures } from '../../src/models/components/feature-extractor.js';
import { patchcoreAnomalyMap } from '../../src/pipeline/submodels/patchcore/model/anomaly-map.js';
import { coresetSize, PATCHCORE_DEFAULTS } from '../../src/pipeline/submodels/patchcore/model/config.js';
import { greedyCoreset } from '../../src/pipeline/submodels/patchcore/model/coreset.js';
import { nearestDistances } from '../../src/pipeline/submodels/patchcore/model/knn.js';
import { withPositions } from '../../src/pipeline/submodels/patchcore/model/patch-features.js';
import { maxPatchOf, reweightFactors } from '../../src/pipeline/submodels/patchcore/model/reweight.js';
import { imageAuroc } from '../../src/pipeline/eval/image-metrics.js';
import { ensembleScores, variantScores, type Scored } from './patchcore-variant-scores.js';
import { extractOnce } from '../../src/pipeline/features/extract.js';
import { extractorKey, FeatureCache } from '../../src/pipeline/features/feature-cache.js';
import { loadDataset, samplesOf } from '../../src/pipeline/io/dataset.js';
import type { RgbImage } from '../../src/pipeline/io/image.js';
import { planValidation, streamValidation } from '../../src/pipeline/perfmap/validation-set.js';
import { initRuntime } from '../../src/pipeline/runtime/backend.js';
import { TextureBank } from '../../src/pipeline/synth/texture-bank.js';
import { imagesToTensor } from '../../src/pipeline/train/tensors.js';
import { DEFAULT_VAL_FRACTION } from '../../src/pipeline/train/train-options.js';
import { trainNormalsOutside } from '../../src/pipeline/train/train-split.js';
import { loadFeatureExtractor } from '../../src/pipeline/weights/backbone-registry.js';
import { concatRows } from '../../src/pipeline/core/float-rows.js';

const { values } = parseArgs({
  options: {
    data: { type: 'string', default: '../shared/data/mvtec_ad' },
    category: { type: 'string', default: 'transistor' },
    specs: { type: 'string', default: 'mb256,inc256' },
    patch: { type: 'string', default: '3' },
    positions: { type: 'string', default: '0,128' },
    tops: { type: 'string', default: '0,0.01,0.03,0.05,0.1' },
    globals: { type: 'string', default: '0,0.5,1' },
    reweight: { type: 'string', default: '0,9' },
    test: { type: 'string' },
    ensembles: { type: 'string' },
    // Test AUROC of every variant: only for categories that are NOT the one being tuned (cross-category selection).
    'test-all': { type: 'boolean', default: false },
    cache: { type: 'string', default: '/tmp/madenet-patchcore-variants/cache' },
    out: { type: 'string', default: '/tmp/madenet-patchcore-variants/variants.json' },
    seed: { type: 'string', default: '42' },
    threads: { type: 'string', default: '1' },
  },
});

interface Spec {
  backbone: string;
  layers: string[];
  globalLayer: string;
  size: number;
}
const SPECS: Record<string, Spec> = {
  mb256: { backbone: 'npm:nsfwjs/mobilenet_v2', layers: ['block_5_add', 'block_12_add'], globalLayer: 'out_relu', size: 256 },
  inc256: { backbone: 'npm:nsfwjs/inception_v3', layers: ['mixed2', 'mixed5'], globalLayer: 'mixed10', size: 256 },
  inc320: { backbone: 'npm:nsfwjs/inception_v3', layers: ['mixed2', 'mixed5'], globalLayer: 'mixed10', size: 320 },
};
const list = (s: string): number[] => s.split(',').map(Number);
const seed = Number(values.seed);
const log = (m: string): void => console.error(`[${new Date().toISOString().slice(11, 19)}] ${m}`);

await initRuntime({ backend: 'wasm', threads: Number(values.threads) });
const dataset = await loadDataset(resolve(values.data), { categories: [values.category] });
const plan = planValidation(dataset, values.category, { valFraction: DEFAULT_VAL_FRACTION, seed });
const train = trainNormalsOutside(dataset, values.category, plan, DEFAULT_VAL_FRACTION, seed);
const testSamples = samplesOf(dataset, { category: values.category, split: 'test' });
const cache = await FeatureCache.open(resolve(values.cache), 8 * 2 ** 30);

/** One image's raw features: the maps [h_i*w_i*C_i] of the patch layers, then the global layer's spatial mean [G]. */
type Raw = Float32Array[];
interface SpecData {
  spec: Spec;
  shapes: [number, number, number][];
  train: Raw[];
  held: Raw[];
  synth: Raw[];
  test: Raw[] | null;
}

async function rawOf(specName: string, withTest: boolean): Promise<SpecData> {
  const spec = SPECS[specName];
  if (!spec) throw new Error(`unknown spec ${specName}`);
  const source = await loadFeatureExtractor(spec.backbone, { layers: [...spec.layers, spec.globalLayer], inputSize: spec.size, seed });
  const ex = source.extractor;
  const shapes = ex.outputs.slice(0, spec.layers.length).map((o) => [Number(o.shape[1]), Number(o.shape[2]), Number(o.shape[3])] as [number, number, number]);
  const key = extractorKey({ kind: 'patchcore-raw', provenance: source.provenance, layers: spec.layers, globalLayer: spec.globalLayer, size: spec.size });
  const compute = async (images: RgbImage[]): Promise<Float32Array[][]> => {
    const x = imagesToTensor(images);
    const maps = extractFeatures(ex, x);
    x.dispose();
    const g = tf.mean(maps[spec.layers.length] as tf.Tensor4D, [1, 2]);
    const parts = [...maps.slice(0, spec.layers.length), g];
    const data = await Promise.all(parts.map(async (t) => (await t.data()) as Float32Array));
    tf.dispose([...maps, g]);
    return images.map((_, i) => data.map((a) => a.slice((i * a.length) / images.length, ((i + 1) * a.length) / images.length)));
  };
  const extract = async (samples: Parameters<typeof extractOnce>[0], what: string): Promise<Raw[]> => {
    log(`${specName} ${what}: ${samples.length} images`);
    return extractOnce(samples, { size: spec.size, batchSize: 8, compute, cache: { store: cache, extractorKey: key } });
  };
  const trainRaw = await extract(train, 'train');
  const held = await extract(plan.normals, 'held-out normals');
  // Synthetic defects are not files: cached by a hash of their pixels instead.
  log(`${specName} synthetic defects: ${plan.synthetic.length}`);
  const textures = await TextureBank.forRun(undefined, spec.size, seed);
  const synth: Raw[] = [];
  for await (const item of streamValidation(plan, 'defects', { size: spec.size, textures })) {
    const k = cache.key(createHash('sha256').update(item.image.data).digest('hex'), key);
    const hit = await cache.get(k);
    if (hit) synth.push(hit);
    else {
      const f = ((await compute([item.image]))[0]) as Raw;
      await cache.put(k, f);
      synth.push(f);
    }
  }
  const test = withTest ? await extract(testSamples, 'test') : null;
  ex.dispose();
  return { spec, shapes, train: trainRaw, held, synth, test };
}

/** Raw maps of some images -> patch features [n,h,w,D(+2)] as train-patchcore builds them. */
function patchesOf(d: SpecData, raws: Raw[], patchSize: number, pos: number): tf.Tensor4D {
  return tf.tidy(() => {
    const n = raws.length;
    const [h0, w0] = d.shapes[0] as [number, number, number];
    const parts = d.shapes.map(([h, w, c], li) => {
      const t = tf.tensor4d(concatRows(raws.map((r) => r[li] as Float32Array)), [n, h, w, c]);
      const local = localAggregate(t, patchSize);
      return h === h0 && w === w0 ? local : tf.image.resizeBilinear(local, [h0, w0], false, true);
    });
    const f = tf.concat(parts, 3) as tf.Tensor4D;
    return pos > 0 ? withPositions(f, pos) : f;
  });
}


async function bankOf(d: SpecData, name: string, patchSize: number, pos: number): Promise<{ patches: tf.Tensor2D; global: tf.Tensor2D }> {
  const file = join(resolve(values.cache), '..', `coreset-${values.category}-${name}-p${patchSize}-w${pos}-s${seed}.json`);
  const all = tf.tidy(() => {
    const chunks: tf.Tensor2D[] = [];
    for (let i = 0; i < d.train.length; i += 16) {
      const p = patchesOf(d, d.train.slice(i, i + 16), patchSize, pos);
      chunks.push(p.reshape([-1, p.shape[3]]) as tf.Tensor2D);
    }
    return tf.concat(chunks, 0) as tf.Tensor2D;
  });
  const size = coresetSize(PATCHCORE_DEFAULTS, all.shape[0]);
  let idx: Int32Array;
  try {
    idx = Int32Array.from(JSON.parse(await readFile(file, 'utf8')) as number[]);
  } catch {
    const t0 = performance.now();
    idx = greedyCoreset(all, { size, seed, projectionDim: PATCHCORE_DEFAULTS.projectionDim });
    log(`coreset ${name} p${patchSize} w${pos}: ${size} of ${all.shape[0]} rows in ${((performance.now() - t0) / 1000).toFixed(0)} s`);
    await writeFile(file, JSON.stringify(Array.from(idx)));
  }
  const patches = tf.tidy(() => tf.gather(all, tf.tensor1d(idx, 'int32'))) as tf.Tensor2D;
  all.dispose();
  const global = tf.tensor2d(concatRows(d.train.map((r) => r[r.length - 1] as Float32Array)), [d.train.length, (d.train[0]?.[d.train[0].length - 1] as Float32Array).length]);
  return { patches, global };
}

async function score(d: SpecData, raws: Raw[], bank: { patches: tf.Tensor2D; global: tf.Tensor2D }, patchSize: number, pos: number, tops: number[], rws: number[]): Promise<Scored> {
  const out: Scored = { terms: new Map(tops.map((t) => [t, []])), global: [], weights: new Map(rws.map((b) => [b, []])) };
  for (let i = 0; i < raws.length; i += 8) {
    const batch = raws.slice(i, i + 8);
    const r = tf.tidy(() => {
      const f = patchesOf(d, batch, patchSize, pos);
      const [n, h, w, dim] = f.shape;
      const { dist, index } = nearestDistances(f.reshape([n * h * w, dim]) as tf.Tensor2D, bank.patches);
      const maps = patchcoreAnomalyMap(dist.reshape([n, h, w, 1]) as tf.Tensor4D, d.spec.size, PATCHCORE_DEFAULTS.smoothingSigma);
      const s = d.spec.size;
      const terms = tops.map((t) => (t <= 0 ? tf.max(dist.reshape([n, h * w]), 1) : tf.mean(tf.topk(maps.reshape([n, s * s]) as tf.Tensor2D, Math.max(1, Math.ceil(t * s * s))).values, 1)));
      const g = nearestDistances(tf.tensor2d(concatRows(batch.map((x) => x[x.length - 1] as Float32Array)), [n, bank.global.shape[1]]), bank.global).dist;
      const mp = maxPatchOf(f.reshape([n, h * w, dim]) as tf.Tensor3D, dist.reshape([n, h * w]) as tf.Tensor2D, index.reshape([n, h * w]) as tf.Tensor2D);
      const ws = rws.map((b) => (b > 1 ? reweightFactors(mp.query, mp.nearest, bank.patches, b) : tf.ones([n])));
      return [...terms, g, ...ws];
    });
    const arrs = await Promise.all(r.map(async (t) => Array.from((await t.data()) as Float32Array)));
    tf.dispose(r);
    tops.forEach((t, k) => out.terms.get(t)?.push(...(arrs[k] as number[])));
    out.global.push(...(arrs[tops.length] as number[]));
    rws.forEach((b, k) => out.weights.get(b)?.push(...(arrs[tops.length + 1 + k] as number[])));
  }
  return out;
}

const testWanted = values.test ? values.test.split(',') : [];
const specNames = values.specs.split(',');
const rows: { variant: string; val: number | null; test?: number | null }[] = [];
/** Per spec, per variant: [held scores, val scores (held+synth), test scores]. */
const perVariant = new Map<string, { held: number[]; val: number[]; test: number[] | null }>();
const valLabels = (d: SpecData): number[] => [...d.held.map(() => 0), ...d.synth.map(() => 1)];
let labelsVal: number[] = [];
let labelsTest: number[] = [];
for (const name of specNames) {
  const needTest = values['test-all'] || testWanted.some((v) => v.split('+').some((p) => p.startsWith(`${name}:`)));
  const d = await rawOf(name, needTest);
  labelsVal = valLabels(d);
  labelsTest = testSamples.map((s) => s.label);
  for (const ps of list(values.patch)) {
    for (const pos of list(values.positions)) {
      const bank = await bankOf(d, name, ps, pos);
      const tops = list(values.tops);
      const rws = list(values.reweight).map((b) => (b > 1 ? b : 1));
      const held = await score(d, d.held, bank, ps, pos, tops, rws);
      const synth = await score(d, d.synth, bank, ps, pos, tops, rws);
      const test = d.test ? await score(d, d.test, bank, ps, pos, tops, rws) : null;
      tf.dispose([bank.patches, bank.global]);
      for (const t of tops) {
        for (const g of list(values.globals)) {
          for (const b of rws) {
            const v = `${name}:p${ps}:w${pos}:t${t}:g${g}:r${b === 1 ? 0 : b}`;
            const h = variantScores(held, held, t, g, b);
            const s = variantScores(held, synth, t, g, b);
            // Test scores only for what --test names (alone or as an ensemble member); printed only where named alone.
            const te = test && (values['test-all'] || testWanted.some((x) => x.split('+').includes(v))) ? variantScores(held, test, t, g, b) : null;
            perVariant.set(v, { held: h, val: [...h, ...s], test: te });
            const val = imageAuroc([...h, ...s], labelsVal);
            const shown = te && (values['test-all'] || testWanted.includes(v));
            rows.push({ variant: v, val, ...(shown ? { test: imageAuroc(te, labelsTest) } : {}) });
            log(`${v} val ${val?.toFixed(4)}${shown ? ` test ${rows[rows.length - 1]?.test?.toFixed(4)}` : ''}`);
          }
        }
      }
    }
  }
}

// Ensembles: the sum of the members' scores, each standardised on the held-out normals (the same held-out split for every spec).
const ensembles = [...new Set([...(values.ensembles ? values.ensembles.split(',') : []), ...testWanted.filter((v) => v.includes('+'))])];
for (const e of ensembles) {
  const members = e.split('+').map((v) => perVariant.get(v));
  if (members.some((m) => !m)) {
    log(`ensemble ${e}: a member was not scored`);
    continue;
  }
  const sum = (k: 'val' | 'test'): number[] | null =>
    members.every((m) => m?.[k]) ? ensembleScores(members.map((m) => ({ held: m?.held ?? [], x: m?.[k] ?? [] }))) : null;
  const val = imageAuroc(sum('val') ?? [], labelsVal);
  const t = values['test-all'] || testWanted.includes(e) ? sum('test') : null;
  rows.push({ variant: e, val, ...(t ? { test: imageAuroc(t, labelsTest) } : {}) });
  log(`${e} val ${val?.toFixed(4)}${t ? ` test ${rows[rows.length - 1]?.test?.toFixed(4)}` : ''}`);
}
await mkdir(join(resolve(values.out), '..'), { recursive: true });
await writeFile(resolve(values.out), `${JSON.stringify({ category: values.category, seed, rows }, null, 2)}\n`);
const best = [...rows].sort((a, b) => (b.val ?? 0) - (a.val ?? 0)).slice(0, 15);
console.log(best.map((r) => `${r.variant}\tval ${r.val?.toFixed(4)}${r.test !== undefined ? `\ttest ${r.test?.toFixed(4)}` : ''}`).join('\n'));
