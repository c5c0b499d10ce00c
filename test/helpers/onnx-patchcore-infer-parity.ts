// Run in a child process (node --import tsx) by patchcore-infer-engine.test.ts: onnxruntime-node rejects its own
// output arrays inside jest's VM realm, so PatchCore inference with the backbone in onnxruntime is compared with
// tfjs in plain Node. On tiny data (random backbones, independent of the packaged networks) it trains one bank and a
// two-member ensemble, loads each artifact with --feature-engine tfjs and onnx, and scores the same images whole and
// by tiles (also a bank with a weighted global term, which takes the backbone-maps path); then build-perfmap and infer run the ensemble end to end with --engine auto and tfjs. Prints one JSON
// line: per case the largest |tfjs - onnx| of the scores and maps and the largest |value|, the engines reported,
// and the live tensor counts (before loading, after scoring, after disposing).
import * as tf from '@tensorflow/tfjs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { layersModelFrom, loadArtifact } from '../../src/pipeline/artifacts/index.js';
import { onnxExtractorWithHead } from '../../src/pipeline/features/onnx-features.js';
import { decodeNpy } from '../../src/pipeline/io/npy.js';
import type { PatchcoreConfig } from '../../src/pipeline/submodels/patchcore/model/config.js';
import { patchcoreOnnxHead } from '../../src/pipeline/submodels/patchcore/onnx-head.js';
import { loadDetector } from '../../src/pipeline/detectors/registry.js';
import type { AsyncDetector } from '../../src/pipeline/engines/async-detector.js';
import { loadDataset } from '../../src/pipeline/io/dataset.js';
import { decodeImage } from '../../src/pipeline/io/decode.js';
import { scoreBatch } from '../../src/pipeline/infer/detector-batch.js';
import { scoreTiled } from '../../src/pipeline/infer/tiler.js';
import { initRuntime } from '../../src/pipeline/runtime/backend.js';
import { buildPerfmap } from '../../src/pipeline/services/build-perfmap.js';
import { infer } from '../../src/pipeline/services/infer.js';
import { trainPatchcore } from '../../src/pipeline/services/train-patchcore.js';
import { loadPatchcoreAsyncDetector } from '../../src/pipeline/submodels/patchcore/detector.js';

const [data, out] = process.argv.slice(2) as [string, string];
await initRuntime({ backend: 'wasm', threads: 1 });
const base = { data, category: 'widget', seed: 3, backend: 'wasm' as const, threads: 1, imageSize: 32, coresetRatio: 0.25, featureEngine: 'tfjs' as const };
const single = await trainPatchcore({ ...base, out: join(out, 'single'), backbone: 'random', layers: ['layer1', 'layer2'], globalLayer: null, positionWeight: 16 });
// A weighted global term: the one-session head does not cover it, so the backbone maps run in onnxruntime and the
// rest in tfjs (the other onnx path).
const global = await trainPatchcore({ ...base, out: join(out, 'global'), backbone: 'random', layers: ['layer1', 'layer2'], globalLayer: 'layer3', globalWeight: 0.5, positionWeight: 16 });
const ensemble = await trainPatchcore({
  ...base,
  out: join(out, 'ensemble'),
  members: [
    { backbone: 'random', layers: ['layer1', 'layer2'], globalLayer: null, positionWeight: 16 },
    { backbone: 'random', layers: ['layer2', 'layer3'], globalLayer: null, positionWeight: 0 },
  ],
});
const paths = (await loadDataset(data, { categories: ['widget'] })).samples.filter((s) => s.split === 'test').map((s) => s.path);
const images = await Promise.all(paths.map((p) => decodeImage(p, { size: 32 })));

/** Largest |a - b| and largest |a| over two equally long arrays. */
function compare(a: Float32Array, b: Float32Array): { diff: number; scale: number; n: number } {
  let diff = a.length === b.length ? 0 : Infinity;
  let scale = 0;
  a.forEach((v, i) => {
    diff = Math.max(diff, Math.abs(v - (b[i] as number)));
    scale = Math.max(scale, Math.abs(v));
  });
  return { diff, scale, n: a.length };
}

async function scoreAll(d: AsyncDetector): Promise<{ scores: Float32Array; maps: Float32Array; tiled: Float32Array; tiledMaps: Float32Array }> {
  const scores: number[] = [];
  const maps: number[] = [];
  for (let i = 0; i < images.length; i += 3) {
    const out = await scoreBatch(d, images.slice(i, i + 3));
    scores.push(...out.scores);
    maps.push(...out.maps);
  }
  // Tiles of 16 source px (overlap 0.25), three to a batch: the stitched map and the tile max. Images at once, as
  // infer scores a group of tiled images (concurrent runs of one session).
  const tiled: number[] = [];
  const tiledMaps: number[] = [];
  for (const t of await Promise.all(paths.map((p) => scoreTiled(d, p, { tile: 16, overlap: 0.25, batchSize: 3 })))) {
    tiled.push(t.score);
    tiledMaps.push(...t.map);
  }
  return { scores: Float32Array.from(scores), maps: Float32Array.from(maps), tiled: Float32Array.from(tiled), tiledMaps: Float32Array.from(tiledMaps) };
}

const cases: Record<string, unknown> = {};
for (const [name, dir] of [
  ['single', single.artifact.dir],
  ['global', global.artifact.dir],
  ['ensemble', ensemble.artifact.dir],
] as const) {
  const artifact = await loadArtifact(dir);
  const before = tf.memory().numTensors;
  const tfjs = await loadPatchcoreAsyncDetector(artifact, { featureEngine: 'tfjs' });
  const onnx = await loadPatchcoreAsyncDetector(artifact, { featureEngine: 'onnx', threads: 1 });
  const loaded = tf.memory().numTensors;
  const a = await scoreAll(tfjs);
  const b = await scoreAll(onnx);
  const afterScoring = tf.memory().numTensors;
  // The ordinary (synchronous tfjs) loader gives the tfjs async detector's numbers exactly.
  const sync = await loadDetector(dir);
  const c = await scoreBatch(sync, images.slice(0, 3));
  sync.dispose();
  tfjs.dispose();
  onnx.dispose();
  cases[name] = {
    engines: [tfjs.featureEngine, onnx.featureEngine, tfjs.engine, onnx.engine],
    scores: compare(a.scores, b.scores),
    maps: compare(a.maps, b.maps),
    tiledScores: compare(a.tiled, b.tiled),
    tiledMaps: compare(a.tiledMaps, b.tiledMaps),
    syncVsTfjs: compare(c.scores, a.scores.subarray(0, 3)),
    tensors: { before, loaded, afterScoring, afterDispose: tf.memory().numTensors },
  };
}

// The one-session head with the bank in chunks of 37 rows (a real bank past 4096 rows is chunked so) against one
// MatMul over the whole bank: the min over chunks is the min over all.
const chunked = await (async () => {
  const a = await loadArtifact(single.artifact.dir);
  const cfg = (a.manifest.config as { model: PatchcoreConfig }).model;
  const npy = decodeNpy(await a.readFile('bank.npy'), 'bank.npy');
  const extractor = await layersModelFrom(await a.modelArtifacts('extractor'));
  const x = Float32Array.from(images.flatMap((im) => Array.from(im.data)));
  const outs = [];
  for (const chunk of [4096, 37]) {
    const session = await onnxExtractorWithHead('patchcore', extractor, 32, patchcoreOnnxHead(cfg, npy.data, npy.shape[0] as number, chunk), 1);
    outs.push(await session.run(x, images.length));
    await session.dispose();
  }
  extractor.dispose();
  const [whole, parts] = outs as [Record<string, Float32Array>, Record<string, Float32Array>];
  return { rows: npy.shape[0], maps: compare(whole.maps as Float32Array, parts.maps as Float32Array), patchMax: compare(whole.patch_max as Float32Array, parts.patch_max as Float32Array) };
})();

// End to end: build-perfmap (validation through the chosen feature engine) and infer with --engine auto and tfjs.
const perfmaps: Record<string, { dir: string; engines: unknown }> = {};
for (const fe of ['onnx', 'tfjs'] as const) {
  const built = await buildPerfmap({ data, models: [ensemble.artifact.dir], lambda: 0.5, seed: 3, out: join(out, `perfmap-${fe}`), batchSize: 3, backend: 'wasm', threads: 1, featureEngine: fe });
  perfmaps[fe] = { dir: built.artifact.dir, engines: built.featureEngines };
}
const runs: Record<string, { engine: unknown; scores: Record<string, number> }> = {};
for (const engine of ['auto', 'tfjs'] as const) {
  const r = await infer({ perfmap: (perfmaps.onnx as { dir: string }).dir, input: join(data, 'widget', 'test'), out: join(out, `infer-${engine}`), category: 'widget', engine, batchSize: 3, backend: 'wasm', threads: 1 });
  const lines = (await readFile(r.predictions, 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as { path: string; score: number });
  runs[engine] = { engine: r.engine.loaded, scores: Object.fromEntries(lines.map((l) => [l.path, l.score])) };
}
const auto = runs.auto as (typeof runs)[string];
const plain = runs.tfjs as (typeof runs)[string];
const keys = Object.keys(plain.scores);
console.log(
  JSON.stringify({
    cases,
    chunked,
    perfmap: { engines: [perfmaps.onnx?.engines, perfmaps.tfjs?.engines] },
    infer: {
      engines: [auto.engine, plain.engine],
      images: keys.length,
      scores: compare(Float32Array.from(keys.map((k) => plain.scores[k] as number)), Float32Array.from(keys.map((k) => auto.scores[k] ?? NaN))),
    },
  }),
);
