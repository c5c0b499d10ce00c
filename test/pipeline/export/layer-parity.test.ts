/** @jest-environment ./test/pipeline/engines/ort-environment.cjs */
// Given small random tf.layers models covering each layer class madenet's networks use, when exported to
// ONNX and run in onnxruntime, then the outputs equal tfjs wasm's on the same input within float32 noise.
import * as tf from '@tensorflow/tfjs';
import { ImagenetNormalization } from '../../../src/models/components/backbone-normalize.js';
import { SeededDrop } from '../../../src/models/components/layers-dropout.js';
import { SeededDropout } from '../../../src/pipeline/submodels/lpd/model/seeded-dropout.js';
import { MadenetError } from '../../../src/pipeline/core/errors.js';
import { layersModelGraph } from '../../../src/pipeline/export/layers-model-graph.js';
import { initRuntime } from '../../../src/pipeline/runtime/backend.js';
import { layersParity } from './onnx-test-helpers.js';

type Sym = tf.SymbolicTensor;
const L = tf.layers;
const TOL = 1e-5;

/** Random moving statistics so that batch norm is not the identity. */
function randomizeBatchNorm(model: tf.LayersModel, seed: number): void {
  for (const layer of model.layers) {
    if (layer.getClassName() !== 'BatchNormalization') continue;
    layer.setWeights(
      tf.tidy(() => layer.getWeights().map((w, i, all) => (i === all.length - 1 ? tf.randomUniform(w.shape, 0.5, 2, 'float32', seed + i) : tf.randomUniform(w.shape, -0.5, 0.5, 'float32', seed + i)))),
    );
  }
}

function model(input: number[], body: (x: Sym) => Sym | Sym[]): tf.LayersModel {
  const x = tf.input({ shape: input });
  const m = tf.model({ inputs: x, outputs: body(x) });
  randomizeBatchNorm(m, 7);
  return m;
}

describe('ONNX export of tf.layers graphs (wasm vs onnxruntime)', () => {
  const created: tf.LayersModel[] = [];
  beforeAll(async () => {
    await initRuntime({ backend: 'wasm', threads: 1 });
  });
  afterAll(() => {
    for (const m of created) m.dispose();
  });
  const keep = (m: tf.LayersModel): tf.LayersModel => (created.push(m), m);

  it('convolutions: same/valid, strided with explicit zero padding, TF same on even sizes, depthwise, bias, dilation', async () => {
    const m = keep(
      model([12, 12, 3], (x) => {
        let y = L.conv2d({ filters: 6, kernelSize: 3, padding: 'same', activation: 'relu' }).apply(x) as Sym;
        const padded = L.zeroPadding2d({ padding: [[1, 1], [1, 1]] }).apply(y) as Sym;
        const a = L.conv2d({ filters: 6, kernelSize: 3, strides: 2, padding: 'valid', useBias: false }).apply(padded) as Sym;
        // TF 'same' with stride 2 on an even side pads only bottom/right: ONNX must do the same.
        const b = L.conv2d({ filters: 6, kernelSize: 3, strides: 2, padding: 'same' }).apply(y) as Sym;
        y = L.add().apply([a, b]) as Sym;
        y = L.depthwiseConv2d({ kernelSize: 5, depthMultiplier: 2, padding: 'same', strides: 2, useBias: true }).apply(y) as Sym;
        const d = L.conv2d({ filters: 4, kernelSize: 3, padding: 'same', dilationRate: 2 }).apply(y) as Sym;
        return [y, d];
      }),
    );
    const r = await layersParity(m, [2, 12, 12, 3]);
    expect(r.dims).toEqual([[2, 3, 3, 12], [2, 3, 3, 4]]);
    for (const d of r.diffs) expect(d).toBeLessThan(TOL);
  });

  it('transposed convolutions (4x4 s2 same, 3x3 s2 valid), batch norm and every activation madenet uses', async () => {
    const m = keep(
      model([5, 5, 4], (x) => {
        let y = L.conv2dTranspose({ filters: 6, kernelSize: 4, strides: 2, padding: 'same' }).apply(x) as Sym;
        y = L.batchNormalization({ epsilon: 1e-5 }).apply(y) as Sym;
        const outs = (['relu', 'sigmoid', 'softmax', 'swish', 'tanh', 'linear'] as const).map((a) => L.activation({ activation: a }).apply(y) as Sym);
        const leaky = L.leakyReLU({ alpha: 0.2 }).apply(y) as Sym;
        const valid = L.conv2dTranspose({ filters: 3, kernelSize: 3, strides: 2, padding: 'valid', useBias: false }).apply(x) as Sym;
        return [...outs, leaky, valid];
      }),
    );
    const r = await layersParity(m, [2, 5, 5, 4], 3);
    expect(r.dims[0]).toEqual([2, 10, 10, 6]);
    expect(r.dims.at(-1)).toEqual([2, 11, 11, 3]);
    for (const d of r.diffs) expect(d).toBeLessThan(TOL);
  });

  it('pooling, legacy bilinear and nearest upsampling, concat, squeeze-excitation multiply, dense head', async () => {
    const m = keep(
      model([16, 16, 3], (x) => {
        let y = new ImagenetNormalization({ name: 'normalize' }).apply(x) as Sym;
        y = L.conv2d({ filters: 8, kernelSize: 3, padding: 'same' }).apply(y) as Sym;
        const mp = L.maxPooling2d({ poolSize: 2, strides: 2, padding: 'valid' }).apply(y) as Sym;
        const mp3 = L.maxPooling2d({ poolSize: 3, strides: 2, padding: 'same' }).apply(y) as Sym;
        const up = L.upSampling2d({ size: [2, 2], interpolation: 'bilinear' }).apply(mp) as Sym;
        const up4 = L.upSampling2d({ size: [4, 4], interpolation: 'bilinear' }).apply(L.maxPooling2d({ poolSize: 2 }).apply(mp3) as Sym) as Sym;
        const nn = L.upSampling2d({ size: [2, 2] }).apply(mp3) as Sym;
        let z = L.concatenate({ axis: -1 }).apply([up, up4, nn]) as Sym;
        const avg = L.averagePooling2d({ poolSize: 3, strides: 1, padding: 'same' }).apply(z) as Sym;
        const s = L.globalAveragePooling2d({}).apply(z) as Sym;
        let se = L.reshape({ targetShape: [1, 1, 24] }).apply(s) as Sym;
        se = L.conv2d({ filters: 24, kernelSize: 1, activation: 'sigmoid' }).apply(se) as Sym;
        z = L.multiply().apply([avg, se]) as Sym;
        let h = L.globalAveragePooling2d({}).apply(z) as Sym;
        h = L.dropout({ rate: 0.5 }).apply(h) as Sym;
        h = new SeededDrop({ name: 'drop', rate: 0.3, seed: 1 }).apply(h) as Sym;
        h = L.dense({ units: 7 }).apply(h) as Sym;
        h = L.batchNormalization({ epsilon: 1e-5 }).apply(h) as Sym;
        h = new SeededDropout({ rate: 0.2, seed: 2, name: 'drop2' }).apply(h) as Sym;
        h = L.dense({ units: 3, activation: 'softmax' }).apply(h) as Sym;
        const flat = L.flatten().apply(L.maxPooling2d({ poolSize: 4 }).apply(z) as Sym) as Sym;
        const gmp = L.globalMaxPooling2d({}).apply(z) as Sym;
        return [z, h, flat, gmp];
      }),
    );
    const r = await layersParity(m, [3, 16, 16, 3], 5);
    expect(r.dims).toEqual([[3, 16, 16, 24], [3, 3], [3, 4 * 4 * 24], [3, 24]]);
    for (const d of r.diffs) expect(d).toBeLessThan(TOL);
  });

  it('exports models of unknown spatial size (TF same at stride 2 becomes SAME_UPPER)', async () => {
    const m = keep(model([null as unknown as number, null as unknown as number, 3], (x) => L.conv2d({ filters: 4, kernelSize: 3, strides: 2, padding: 'same' }).apply(x) as Sym));
    for (const side of [8, 9]) {
      const r = await layersParity(m, [1, side, side, 3], side);
      expect(r.dims[0]).toEqual([1, Math.ceil(side / 2), Math.ceil(side / 2), 4]);
      expect(r.diffs[0]).toBeLessThan(TOL);
    }
  });

  it('refuses a layer class it cannot convert, naming it', () => {
    const m = keep(model([4, 4, 2], (x) => L.cropping2D({ cropping: 1 }).apply(x) as Sym));
    expect(() => layersModelGraph(m)).toThrow(MadenetError);
    expect(() => layersModelGraph(m)).toThrow(/Cropping2D/);
  });

  it('leaks no tensors (export and the tfjs reference run)', async () => {
    const m = keep(model([4, 4, 2], (x) => L.conv2d({ filters: 2, kernelSize: 1 }).apply(x) as Sym));
    const before = tf.memory().numTensors;
    await layersParity(m, [1, 4, 4, 2]);
    layersModelGraph(m);
    expect(tf.memory().numTensors).toBe(before);
  });
});
