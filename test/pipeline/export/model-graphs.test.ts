/** @jest-environment ./test/pipeline/engines/ort-environment.cjs */
// Given the tiny preset of every submodel and the classifier (seeded random weights, batch norm statistics
// randomised), when exported to ONNX and run by onnxruntime, then scores and maps (probabilities) equal what
// the tfjs Detector (Classifier) returns on the same demo images.
import * as tf from '@tensorflow/tfjs';
import { classifierPreset } from '../../../src/models/classifier/config.js';
import { buildClassifier } from '../../../src/models/classifier/model.js';
import { lpdPreset } from '../../../src/pipeline/submodels/lpd/model/config.js';
import { lpdGdeFit } from '../../../src/pipeline/submodels/lpd/model/gde.js';
import { buildLpd, disposeLpd, lpdEmbeddings } from '../../../src/pipeline/submodels/lpd/model/model.js';
import { sfadPreset } from '../../../src/pipeline/submodels/sfad/model/config.js';
import { buildSfad, disposeSfad } from '../../../src/pipeline/submodels/sfad/model/model.js';
import { sradPreset } from '../../../src/pipeline/submodels/srad/model/config.js';
import { buildSrad, disposeSrad } from '../../../src/pipeline/submodels/srad/model/model.js';
import { classifierFromModel } from '../../../src/pipeline/detectors/classifier.js';
import { lpdDetector, lpdInferenceModel } from '../../../src/pipeline/submodels/lpd/detector.js';
import { sfadDetector } from '../../../src/pipeline/submodels/sfad/detector.js';
import { sradDetector } from '../../../src/pipeline/submodels/srad/detector.js';
import { tfjsAsyncClassifier, tfjsAsyncDetector } from '../../../src/pipeline/engines/async-detector.js';
import { onnxClassifierFromBytes, onnxDetectorFromBytes } from '../../../src/pipeline/engines/onnx-detector.js';
import { classifierGraph } from '../../../src/pipeline/export/classifier-graph.js';
import { lpdGraph } from '../../../src/pipeline/submodels/lpd/onnx-graph.js';
import type { OnnxGraph } from '../../../src/pipeline/export/onnx-graph.js';
import { classifierParity, detectorParity, parityInputs } from '../../../src/pipeline/export/parity.js';
import { sfadGraph } from '../../../src/pipeline/submodels/sfad/onnx-graph.js';
import { sradGraph } from '../../../src/pipeline/submodels/srad/onnx-graph.js';
import type { Detector } from '../../../src/pipeline/detectors/detector.js';
import { initRuntime } from '../../../src/pipeline/runtime/backend.js';
import { graphBytes, randomizeBatchNorm } from './onnx-test-helpers.js';

const TOL = { relative: 1e-5 };

async function checkDetector(detector: Detector, graph: OnnxGraph): Promise<{ maxAbsScore: number; maxAbsMap: number | null; scoreScale: number }> {
  const inputs = await parityInputs({ size: detector.imageSize, count: 4, seed: 3, categories: ['QFN'] });
  const onnx = await onnxDetectorFromBytes(graphBytes(graph), { kind: detector.kind, category: 'QFN', imageSize: detector.imageSize, artifactDir: null }, { threads: 1 });
  try {
    const r = await detectorParity(tfjsAsyncDetector(detector), onnx, inputs, TOL);
    expect(r.report.passed).toBe(true);
    expect(r.report.images).toBe(4);
    return r.report;
  } finally {
    onnx.dispose();
  }
}

describe('ONNX graphs of the tiny presets match the tfjs detectors', () => {
  beforeAll(async () => {
    await initRuntime({ backend: 'wasm', threads: 1 });
  });

  it('SRAD: reconstruction (with the decoder projection small uses), U-Net, anomaly channel, filtered max score', async () => {
    const cfg = sradPreset('tiny', { seed: 5, decoder: { channels: 6 } });
    const models = buildSrad(cfg);
    randomizeBatchNorm(models.reconstructive, 1);
    randomizeBatchNorm(models.discriminative, 2);
    const before = tf.memory().numTensors;
    const r = await checkDetector(sradDetector(models, cfg, { category: 'QFN', artifactDir: null, ownsModels: false }), sradGraph(models, cfg));
    expect(r.scoreScale).toBeGreaterThan(0);
    expect(tf.memory().numTensors).toBe(before);
    disposeSrad(models);
  });

  it('SFAD: backbone maps, aggregation, adaptor, discriminator, upsampling, Gaussian smoothing', async () => {
    const cfg = sfadPreset('tiny');
    const model = buildSfad(cfg, { seed: 7 });
    randomizeBatchNorm(model.backbone, 3);
    randomizeBatchNorm(model.discriminator, 4);
    const before = tf.memory().numTensors;
    await checkDetector(sfadDetector(model, cfg, { category: 'QFN', artifactDir: null, ownsModels: false }), sfadGraph(model, cfg));
    expect(tf.memory().numTensors).toBe(before);
    disposeSfad(model);
  });

  it('LPD with head scoring and with GDE scoring (Mahalanobis map)', async () => {
    const cfg = lpdPreset('tiny');
    const lpd = buildLpd(cfg, { seed: 9 });
    randomizeBatchNorm(lpd.model, 5);
    const fit = await parityInputs({ size: cfg.imageSize, count: 6, seed: 11, categories: ['QFN'] });
    const batch = tf.tensor4d(Float32Array.from(fit.images.flatMap((i) => Array.from(i))), [6, cfg.imageSize, cfg.imageSize, 3]);
    const gde = await lpdGdeFit([lpdEmbeddings(lpd.extractor, batch, cfg)], { shrinkage: cfg.gdeShrinkage, epsilon: cfg.gdeEpsilon });
    batch.dispose();
    for (const scoring of ['head', 'gde'] as const) {
      const detector = lpdDetector(lpd.model, gde, cfg, { category: 'QFN', artifactDir: null, ownsModel: false, scoring });
      const r = await checkDetector(detector, lpdGraph(lpdInferenceModel(lpd.model, cfg.gdeLayers), gde, cfg, scoring));
      // GDE distances are not probabilities: the tolerance scales with them.
      if (scoring === 'gde') expect(r.scoreScale).toBeGreaterThan(1);
    }
    disposeLpd(lpd);
  });

  it('classifier: EfficientNet with squeeze-excitation and softmax', async () => {
    const cfg = classifierPreset('tiny');
    const model = buildClassifier(cfg, 3);
    randomizeBatchNorm(model, 6);
    const inputs = await parityInputs({ size: cfg.imageSize, count: 4, seed: 2, categories: ['BGA', 'QFN', 'SOT'] });
    const tfjs = tfjsAsyncClassifier(classifierFromModel(model, ['BGA', 'QFN', 'SOT'], cfg.imageSize, false));
    const onnx = await onnxClassifierFromBytes(graphBytes(classifierGraph(model, cfg.imageSize)), { categories: tfjs.categories, imageSize: cfg.imageSize }, { threads: 1 });
    const r = await classifierParity(tfjs, onnx, inputs, TOL);
    onnx.dispose();
    expect(r.report.passed).toBe(true);
    expect(r.report.maxAbsMap).toBeNull();
    model.dispose();
  });
});
