// Run in a child process (node --import tsx) by sfad-frozen-features.test.ts: onnxruntime-node rejects its own
// output arrays inside jest's VM realm, so the onnx feature pass is compared with tfjs's in plain Node. Prints
// one JSON line: the largest |tfjs - onnx| over the bank, the largest |feature|, and the per-image lengths.
import { sfadPreset } from '../../src/pipeline/submodels/sfad/model/config.js';
import { buildSfad, disposeSfad } from '../../src/pipeline/submodels/sfad/model/model.js';
import { onnxSfadFeatures } from '../../src/pipeline/features/onnx-features.js';
import { loadDataset } from '../../src/pipeline/io/dataset.js';
import { initRuntime } from '../../src/pipeline/runtime/backend.js';
import { featureBank } from '../../src/pipeline/submodels/sfad/train/sfad-batches.js';

const data = process.argv[2] as string;
await initRuntime({ backend: 'wasm', threads: 1 });
const samples = (await loadDataset(data, { categories: ['widget'] })).samples.filter((s) => s.split === 'train');
const cfg = sfadPreset('tiny', { imageSize: 32, featureDim: 16 });
const model = buildSfad(cfg, { seed: 1 });
const onnx = await onnxSfadFeatures(model.extractor, cfg, 1);
const viaTfjs = (await featureBank(model.extractor, samples, cfg, { batchSize: 2 })) as Float32Array[];
const viaOrt = (await featureBank(model.extractor, samples, cfg, { batchSize: 2, onnx })) as Float32Array[];
await onnx.dispose();
let diff = 0;
let scale = 0;
viaTfjs.forEach((a, k) =>
  a.forEach((v, i) => {
    diff = Math.max(diff, Math.abs(v - ((viaOrt[k] as Float32Array)[i] as number)));
    scale = Math.max(scale, Math.abs(v));
  }),
);
disposeSfad(model);
console.log(JSON.stringify({ diff, scale, tfjs: viaTfjs.map((a) => a.length), onnx: viaOrt.map((a) => a.length) }));
