// SFAD's frozen feature pass (backbone + aggregation + projection) on TensorFlow.js (wasm) and on onnxruntime-node
// (CPU), same images, same batch size: images/s (wall and process CPU) and the largest feature difference. Usage:
//   node --import tsx bench/sfad-frozen/engines.ts --data ROOT --category C [--backbone B] [--image-size S] [--images N] [--threads T]
import { parseArgs } from 'node:util';
import { SFAD_BENCH_OPTIONS } from './options.js';
import * as tf from '@tensorflow/tfjs';
import { sfadPreset, type SfadConfig } from '../../src/pipeline/submodels/sfad/model/config.js';
import { buildSfad, disposeSfad, sfadFeatures } from '../../src/pipeline/submodels/sfad/model/model.js';
import { onnxSfadFeatures } from '../../src/pipeline/features/onnx-features.js';
import { loadDataset, streamSamples } from '../../src/pipeline/io/dataset.js';
import type { RgbImage } from '../../src/pipeline/io/image.js';
import { initRuntime } from '../../src/pipeline/runtime/backend.js';
import { imagesToTensor } from '../../src/pipeline/train/tensors.js';
import { defaultLayersOf, loadFrozenBackbone } from '../../src/pipeline/weights/backbone-registry.js';
import { cpuSecondsSince } from '../../src/pipeline/runtime/cpu-time.js';

const { values } = parseArgs({
  options: {
    ...SFAD_BENCH_OPTIONS,
    images: { type: 'string', default: '32' },
    threads: { type: 'string', default: '1' },
  },
});
const threads = Number(values.threads);
await initRuntime({ backend: 'wasm', threads });
const spec = values.backbone as string;
const packaged = spec.startsWith('npm:');
const base = sfadPreset('small');
const size = values['image-size'] ? Number(values['image-size']) : base.imageSize;
const layers = packaged ? (defaultLayersOf(spec)?.layers ?? []) : base.layers;
const source = await loadFrozenBackbone(spec, { arch: base.backbone, seed: 42, inputSize: size, layers });
const channels = (source.extractor ?? source.backbone).outputs.length > 0 && source.extractor ? source.extractor.outputs.reduce((n, o) => n + Number(o.shape[3]), 0) : base.featureDim;
const cfg: SfadConfig = sfadPreset('small', { imageSize: size, layers, featureDim: Math.min(base.featureDim, channels), ...(packaged ? { backbone: spec as SfadConfig['backbone'] } : {}) });
const model = buildSfad(cfg, { seed: 42, ...(source.extractor ? { extractor: source.extractor } : { backbone: source.backbone }) });

const samples = (await loadDataset(values.data as string, { categories: [values.category as string] })).samples.filter((s) => s.split === 'train').slice(0, Number(values.images));
const images: RgbImage[] = [];
for await (const d of streamSamples(samples, { size })) images.push(d.image);
const batch = 8;
const cpu = (): number => cpuSecondsSince();
async function time(name: string, fn: (ims: RgbImage[]) => Promise<Float32Array>): Promise<Float32Array[]> {
  await fn(images.slice(0, Math.min(batch, images.length))); // warm-up (kernels, session)
  const c0 = cpu();
  const t0 = performance.now();
  const out: Float32Array[] = [];
  for (let i = 0; i < images.length; i += batch) out.push(await fn(images.slice(i, i + batch)));
  const wall = (performance.now() - t0) / 1000;
  const c = cpu() - c0;
  console.log(`| ${name} | ${spec} | ${size} | ${images.length} | ${(images.length / wall).toFixed(2)} | ${(images.length / c).toFixed(2)} |`);
  return out;
}
console.log(`SFAD frozen features, ${values.category}, batch ${batch}, ${threads} thread(s)`);
console.log('| engine | backbone | px | images | images/s (wall) | images/s per CPU second |');
const viaTfjs = await time('tfjs wasm', async (ims) => {
  const f = tf.tidy(() => sfadFeatures(model.extractor, imagesToTensor(ims), cfg));
  const d = (await f.data()) as Float32Array;
  f.dispose();
  return d;
});
const onnx = await onnxSfadFeatures(model.extractor, cfg, threads);
const viaOrt = await time('onnxruntime cpu', async (ims) => (await onnx.run(ims)).data);
await onnx.dispose();
let maxDiff = 0;
let maxAbs = 0;
viaTfjs.forEach((a, k) => {
  const b = viaOrt[k] as Float32Array;
  for (let i = 0; i < a.length; i++) {
    maxDiff = Math.max(maxDiff, Math.abs((a[i] as number) - (b[i] as number)));
    maxAbs = Math.max(maxAbs, Math.abs(a[i] as number));
  }
});
console.log(`max |tfjs - ort| = ${maxDiff.toExponential(2)} (largest feature ${maxAbs.toFixed(3)})`);
disposeSfad(model);
