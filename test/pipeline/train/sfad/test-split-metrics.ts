// Benchmark helper (not a test): image and pixel metrics of a trained submodel artifact on a category's TEST
// split, from the Detector's outputs through the eval functions. Also reports the image AUROC of the map's max,
// so that LPD's head score can be compared with its GDE score on the same run.
// Run: npx tsx test/pipeline/train/sfad/test-split-metrics.ts <artifact dir> <dataset root> <category> [backend] [threads]
import * as tf from '@tensorflow/tfjs';
import { pathToFileURL } from 'node:url';
import { loadDetector } from '../../../../src/pipeline/detectors/registry.js';
import { imageAuroc, pixelMetrics, type PixelSample } from '../../../../src/pipeline/eval/index.js';
import { scoreBatch } from '../../../../src/pipeline/infer/detector-batch.js';
import { batches } from '../../../../src/pipeline/io/batch.js';
import { loadDataset, samplesOf, streamSamples } from '../../../../src/pipeline/io/dataset.js';
import { initRuntime, type BackendRequest } from '../../../../src/pipeline/runtime/backend.js';

export interface TestSplitMetrics {
  artifact: string;
  category: string;
  images: number;
  defects: number;
  imageAuroc: number | null;
  /** Image AUROC when the score is the max of the anomaly map. */
  imageAurocMapMax: number | null;
  pixelAuroc: number | null;
  pixelAupro: number | null;
  seconds: number;
}

export async function testSplitMetrics(artifactDir: string, dataRoot: string, category: string, batchSize = 8): Promise<TestSplitMetrics> {
  const started = performance.now();
  const detector = await loadDetector(artifactDir);
  try {
    const dataset = await loadDataset(dataRoot, { categories: [category] });
    const test = samplesOf(dataset, { category, split: 'test' });
    const size = detector.imageSize;
    const area = size * size;
    const scores: number[] = [];
    const mapMax: number[] = [];
    const labels: number[] = [];
    const pixels: PixelSample[] = [];
    for await (const batch of batches(streamSamples(test, { size, withMasks: true }), batchSize)) {
      const out = await scoreBatch(detector, batch.map((d) => d.image), size);
      batch.forEach((d, i) => {
        const map = out.maps.slice(i * area, (i + 1) * area);
        let max = -Infinity;
        for (const v of map) if (v > max) max = v;
        scores.push(out.scores[i] as number);
        mapMax.push(max);
        labels.push(d.sample.label);
        const gt = d.mask ? Uint8Array.from(d.mask.data, (v) => (v > 0.5 ? 1 : 0)) : null;
        pixels.push({ map, gt, width: size, height: size });
      });
    }
    const pixel = pixelMetrics(pixels);
    return {
      artifact: artifactDir,
      category,
      images: labels.length,
      defects: labels.filter((l) => l === 1).length,
      imageAuroc: imageAuroc(scores, labels),
      imageAurocMapMax: imageAuroc(mapMax, labels),
      pixelAuroc: pixel.auroc,
      pixelAupro: pixel.aupro,
      seconds: (performance.now() - started) / 1000,
    };
  } finally {
    detector.dispose();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const [artifact, data, category, backend = 'wasm', threads = '1'] = process.argv.slice(2);
  if (!artifact || !data || !category) throw new Error('usage: test-split-metrics.ts <artifact dir> <dataset root> <category> [backend] [threads]');
  await initRuntime({ backend: backend as BackendRequest, threads: Number(threads) });
  console.log(JSON.stringify(await testSplitMetrics(artifact, data, category)));
  tf.disposeVariables();
  process.exit(0);
}
