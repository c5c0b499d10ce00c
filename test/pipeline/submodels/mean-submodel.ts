// A fifth submodel for tests, written against the Submodel contract only: the anomaly map is the per-pixel squared
// distance to the mean normal image, learnt by SGD (a Dense layer from a constant input holds the mean image, so
// the network saves and loads as a plain tfjs LayersModel). It is trained by the generic trainer and loaded,
// routed, inferred and evaluated by the generic machinery, which only finds it through the registry.
import * as tf from '@tensorflow/tfjs';
import { layersModelFrom } from '../../../src/pipeline/artifacts/index.js';
import type { Detector } from '../../../src/pipeline/detectors/detector.js';
import { datasetFingerprint } from '../../../src/pipeline/io/dataset.js';
import type { Submodel, SubmodelTrainOptions } from '../../../src/pipeline/submodels/contract.js';
import { TextureBank } from '../../../src/pipeline/synth/texture-bank.js';
import { epochStream, fullBatches, type DecodedSample } from '../../../src/pipeline/train/data.js';
import { imagesToTensor } from '../../../src/pipeline/train/tensors.js';
import { bestEpochMetrics, thresholdsFile, validateDetector } from '../../../src/pipeline/train/train-detector-validation.js';
import { trainNumbers, trainSplit, type TrainWorkflow } from '../../../src/pipeline/train/workflow.js';
import type { TrainingRunResult } from '../../../src/pipeline/train/train-run-types.js';

export const MEAN_KIND = 'meanpix';

function meanNetwork(size: number): tf.LayersModel {
  const input = tf.input({ shape: [1] });
  const flat = tf.layers.dense({ units: size * size * 3, useBias: false, kernelInitializer: 'zeros', name: 'mean' }).apply(input) as tf.SymbolicTensor;
  const image = tf.layers.reshape({ targetShape: [size, size, 3] }).apply(flat) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: image });
}

export function meanDetector(model: tf.LayersModel, o: { category: string; imageSize: number; artifactDir: string | null; owns: boolean }): Detector {
  return {
    kind: MEAN_KIND,
    category: o.category,
    imageSize: o.imageSize,
    artifactDir: o.artifactDir,
    predict: (images) =>
      tf.tidy(() => {
        const mean = model.predict(tf.ones([1, 1])) as tf.Tensor4D;
        const maps = images.sub(mean).square().sum(-1) as tf.Tensor3D;
        return { scores: maps.max([1, 2]) as tf.Tensor1D, maps };
      }),
    dispose: () => {
      if (o.owns) model.dispose();
    },
  };
}

async function meanWorkflow(opts: SubmodelTrainOptions): Promise<TrainWorkflow<DecodedSample[], TrainingRunResult>> {
  const n = trainNumbers(opts, { epochs: opts.epochs ?? 3, batchSize: opts.batchSize ?? 2, lr: opts.lr ?? 0.5 });
  const size = typeof opts.imageSize === 'number' ? opts.imageSize : 32;
  return {
    kind: MEAN_KIND,
    category: opts.category,
    out: opts.out,
    seed: opts.seed,
    checkpointEvery: n.checkpointEvery,
    options: opts,
    open: async (ctx) => {
      const { plan, train } = await trainSplit(opts, n.valFraction);
      const textures = await TextureBank.forRun(undefined, size, opts.seed);
      const model = meanNetwork(size);
      ctx.defer(() => model.dispose());
      const optimizer = tf.train.sgd(n.lr);
      ctx.defer(() => optimizer.dispose());
      const stepsPerEpoch = Math.max(1, Math.floor(train.length / n.batchSize));
      return {
        config: { model: { imageSize: size }, training: { epochs: n.epochs, batchSize: n.batchSize, lr: n.lr, stepsPerEpoch }, validation: { source: plan.source } },
        fingerprint: datasetFingerprint(train),
        models: { mean: model },
        optimizer,
        loop: {
          epochs: n.epochs,
          stepsPerEpoch,
          batches: (epoch) => fullBatches(epochStream(train, { seed: opts.seed, epoch, size }), n.batchSize),
          batchSize: (b) => b.length,
          lr: () => n.lr,
          step: async (batch) => {
            const images = imagesToTensor(batch.map((d) => d.image));
            try {
              const loss = optimizer.minimize(() => images.sub(model.apply(tf.ones([1, 1]), { training: true }) as tf.Tensor4D).square().mean() as tf.Scalar, true) as tf.Scalar;
              const value = (await loss.data())[0] as number;
              loss.dispose();
              return { loss: value };
            } finally {
              images.dispose();
            }
          },
        },
        validate: () => validateDetector(meanDetector(model, { category: opts.category, imageSize: size, artifactDir: null, owns: false }), plan, { textures, batchSize: 8 }),
        finish: async (best, state) => ({
          validation: bestEpochMetrics(best.evaluation, state),
          files: { 'thresholds.json': thresholdsFile(best.evaluation) },
          parents: [],
          result: (artifact, fields) => ({ artifact, imageSize: size, ...fields }),
        }),
      };
    },
  };
}

export const meanSubmodel: Submodel = {
  kind: MEAN_KIND,
  title: 'MeanPix',
  fallback: true,
  train: { workflow: meanWorkflow },
  loadDetector: async (artifact) => {
    const size = (artifact.manifest.config as { model: { imageSize: number } }).model.imageSize;
    const model = await layersModelFrom(await artifact.modelArtifacts('mean'));
    return meanDetector(model, { category: artifact.manifest.category, imageSize: size, artifactDir: artifact.dir, owns: true });
  },
  onnx: { unsupported: 'is a test submodel, which has no ONNX export' },
  finetune: { unsupported: 'is a test submodel, which has no fine-tuning' },
};
