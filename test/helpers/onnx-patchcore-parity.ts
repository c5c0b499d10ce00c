// Run in a child process (node --import tsx) by patchcore-feature-engine.test.ts: onnxruntime-node rejects its own
// output arrays inside jest's VM realm, so train-patchcore's onnx feature engine is compared with tfjs's in plain
// Node. Trains the same PatchCore (tiny data, same seed, the whole patch set as the bank: a greedy coreset
// may break a near-tie differently on features that differ in the 7th digit; no position channels, so that the
// largest value is a feature) with --feature-engine tfjs and onnx and
// prints one JSON line: both engine records, the banks' largest |tfjs - onnx| and largest |value|, both
// validations' image AUROC and threshold.
import { join } from 'node:path';
import { loadArtifact } from '../../src/pipeline/artifacts/index.js';
import { decodeNpy } from '../../src/pipeline/io/npy.js';
import { trainPatchcore } from '../../src/pipeline/services/train-patchcore.js';

const [data, out, backbone, size] = process.argv.slice(2) as [string, string, string, string];
const base = { data, category: 'widget', seed: 7, backend: 'wasm' as const, threads: 1, imageSize: Number(size), coresetRatio: 1, positionWeight: 0, backbone, ...(backbone === 'random' ? { layers: ['layer1', 'layer2'] } : {}) };
const runs = [];
for (const featureEngine of ['tfjs', 'onnx'] as const) {
  const r = await trainPatchcore({ ...base, out: join(out, featureEngine), featureEngine });
  const a = await loadArtifact(r.artifact.dir);
  const bank = decodeNpy(await a.readFile('bank.npy'), 'bank.npy');
  runs.push({ r, bank, engineRecorded: (a.manifest.config as { featureEngine?: unknown }).featureEngine });
}
const [t, o] = runs as [(typeof runs)[number], (typeof runs)[number]];
let diff = 0;
let scale = 0;
t.bank.data.forEach((v, i) => {
  diff = Math.max(diff, Math.abs(v - (o.bank.data[i] as number)));
  scale = Math.max(scale, Math.abs(v));
});
console.log(
  JSON.stringify({
    engines: [t.r.featureEngine, o.r.featureEngine],
    recorded: [t.engineRecorded, o.engineRecorded],
    shapes: [t.bank.shape, o.bank.shape],
    diff,
    scale,
    auroc: [t.r.metrics.imageAuroc, o.r.metrics.imageAuroc],
    threshold: [t.r.metrics.threshold.threshold, o.r.metrics.threshold.threshold],
  }),
);
