// Raw PatchCore patch features (no position channels, no global layer) of every tile of every image of a demo
// dataset's DPAK category, one .f32 per image ([tiles, h, w, D] row-major), for variants.ts.
//   node --import tsx bench/tiling/diagnose/features.ts DATA_ROOT OUT_DIR [tile=128] [image size=128] [layers]
import * as tf from '@tensorflow/tfjs';
import { readdirSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, basename } from 'node:path';
import { initRuntime } from '../../../src/pipeline/runtime/backend.js';
import { loadFeatureExtractor } from '../../../src/pipeline/weights/backbone-registry.js';
import { patchcoreFeatures } from '../../../src/pipeline/submodels/patchcore/model/model.js';
import { patchcoreConfig } from '../../../src/pipeline/submodels/patchcore/model/config.js';
import { decodeRegion, imageSizeOf } from '../../../src/pipeline/io/decode.js';
import { tileGrid } from '../../../src/pipeline/io/tiles.js';
import { imagesToTensor } from '../../../src/pipeline/train/tensors.js';

const [, , root, outDir, tileArg, sizeArg, layersArg] = process.argv as string[];
const TILE = Number(tileArg ?? 128), SIZE = Number(sizeArg ?? 128);
await initRuntime({ backend: 'wasm', threads: 2 });
const cfg = patchcoreConfig({ imageSize: SIZE, positionWeight: 0, globalLayer: null, ...(layersArg ? { layers: layersArg.split(',') } : {}) });
const src = await loadFeatureExtractor(cfg.backbone, { layers: cfg.layers, inputSize: SIZE, seed: 0 });
const list: string[] = [];
for (const split of ['train', 'test']) {
  const d = join(root, 'DPAK', split);
  if (!existsSync(d)) continue;
  for (const t of readdirSync(d)) for (const f of readdirSync(join(d, t))) list.push(join(d, t, f));
}
mkdirSync(outDir, { recursive: true });
let n = 0;
const t0 = Date.now();
for (const p of list) {
  const rel = p.slice(root.length + 1).replace(/\//g, '__').replace('.png', '');
  const out = join(outDir, rel + '.f32');
  if (existsSync(out)) continue;
  const { width, height } = await imageSizeOf(p);
  const grid = tileGrid(width, height, TILE, 0.25);
  const imgs = await Promise.all(grid.map((r) => decodeRegion(p, r, { size: SIZE })));
  const parts: Float32Array[] = [];
  for (let b = 0; b < imgs.length; b += 8) {
    const x = imagesToTensor(imgs.slice(b, b + 8));
    const f = patchcoreFeatures(src.extractor, x, cfg);
    parts.push((await f.patches.data()) as Float32Array);
    if (n === 0 && b === 0) console.log('shape', f.patches.shape);
    x.dispose(); f.patches.dispose();
  }
  const total = parts.reduce((s, a) => s + a.length, 0);
  const all = new Float32Array(total);
  let o = 0; for (const a of parts) { all.set(a, o); o += a.length; }
  writeFileSync(out, Buffer.from(all.buffer));
  n++;
  if (n % 5 === 0) console.log(n, '/', list.length, ((Date.now() - t0) / 1000).toFixed(0), 's', basename(p), grid.length, 'tiles');
}
console.log('done', n, ((Date.now() - t0) / 1000).toFixed(0));
