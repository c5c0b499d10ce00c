import { beforeAll, describe, expect, it } from '@jest/globals';
import * as tf from '@tensorflow/tfjs';
import { MadenetError } from '../../../src/pipeline/core/errors.js';
import { buildFeatureExtractor, extractFeatures } from '../../../src/models/components/feature-extractor.js';
import { buildResNet, RESNET_SPECS, type ResNetSpec } from '../../../src/models/components/resnet.js';
import { readSafetensors, writeSafetensors, type NamedTensor } from '../../../src/pipeline/weights/safetensors.js';
import { loadTorchWeights, mapTorchvisionWeights, toOurLayout } from '../../../src/pipeline/weights/torch-mapping.js';
import { Rng } from '../../../src/pipeline/core/random.js';
import { chwToHwc, randomStateDict, resnetForwardRef, torchvisionResNetShapes, type StateDict } from './torch-reference.js';

/** A two-block-per-stage wide bottleneck net: exercises Bottleneck, widthPerGroup and stride-2 downsampling. */
const WIDE_BOTTLENECK: ResNetSpec = { block: 'bottleneck', blocks: [1, 2, 1, 1], planes: [4, 8, 8, 16], stemChannels: 8, widthPerGroup: 128 };

function viaFile(dict: StateDict): Map<string, NamedTensor> {
  return readSafetensors(writeSafetensors(dict));
}

function maxRelError(a: Float32Array, b: Float32Array): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < a.length; i++) {
    num = Math.max(num, Math.abs((a[i] as number) - (b[i] as number)));
    den = Math.max(den, Math.abs(b[i] as number));
  }
  return num / Math.max(den, 1e-6);
}

function image(size: number, seed: number): Float32Array {
  const rng = new Rng(seed);
  return Float32Array.from({ length: size * size * 3 }, () => rng.next());
}

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('mapTorchvisionWeights', () => {
  it('puts torch OIHW conv weights at HWIO, [out,in] linear at [in,out] and BN stats in place', () => {
    // Given: a torchvision-shaped state dict with known (seeded) values, passed through a safetensors file
    const dict = randomStateDict(torchvisionResNetShapes(RESNET_SPECS.resnet_tiny), 1);
    const model = buildResNet('resnet_tiny', { includeTop: true });
    const before = tf.memory().numTensors;
    // When
    const { weights, ignored } = mapTorchvisionWeights('resnet_tiny', viaFile(dict), model);
    // Then: every weight is filled, in model order, and only the BN counters are left over
    expect(weights.length).toBe(model.weights.length);
    expect(ignored.every((k) => k.endsWith('num_batches_tracked'))).toBe(true);
    const byName = new Map(model.weights.map((w, i) => [w.originalName, weights[i] as tf.Tensor]));
    const conv = byName.get('layer2.0.conv1/kernel')!;
    const torchConv = dict.get('layer2.0.conv1.weight')!; // [32,16,3,3]
    expect(conv.shape).toEqual([3, 3, 16, 32]);
    const convData = conv.dataSync();
    for (const [o, i, y, x] of [[0, 0, 0, 0], [31, 15, 2, 1], [5, 9, 1, 2]] as const) {
      expect(convData[((y * 3 + x) * 16 + i) * 32 + o]).toBe(torchConv.data[((o * 16 + i) * 3 + y) * 3 + x]);
    }
    const fc = byName.get('fc/kernel')!; // ours [128,1000], torch [1000,128]
    expect(fc.shape).toEqual([128, 1000]);
    expect(fc.dataSync()[7 * 1000 + 42]).toBe(dict.get('fc.weight')!.data[42 * 128 + 7]);
    expect(Array.from(byName.get('bn1/moving_variance')!.dataSync())).toEqual(Array.from(dict.get('bn1.running_var')!.data));
    expect(Array.from(byName.get('layer3.0.downsample.1/gamma')!.dataSync())).toEqual(Array.from(dict.get('layer3.0.downsample.1.weight')!.data));
    tf.dispose(weights);
    expect(tf.memory().numTensors).toBe(before);
    model.dispose();
  });

  it.each([
    ['resnet_tiny (BasicBlock)', RESNET_SPECS.resnet_tiny, 32],
    ['a wide bottleneck net', WIDE_BOTTLENECK, 64],
  ])('gives %s the same stage outputs as a PyTorch-semantics reference forward', (_label, spec, size) => {
    // Given: imported weights and one image
    const dict = randomStateDict(torchvisionResNetShapes(spec), 2);
    const backbone = buildResNet(spec);
    const ignored = loadTorchWeights('test', viaFile(dict), backbone);
    expect(ignored).toContain('fc.weight');
    const extractor = buildFeatureExtractor(backbone, ['layer1', 'layer2', 'layer3', 'layer4']);
    const hwc = image(size, 3);
    const before = tf.memory().numTensors;
    // When
    const ours = tf.tidy(() => extractFeatures(extractor, tf.tensor4d(hwc, [1, size, size, 3])).map((t) => t.dataSync()));
    const ref = resnetForwardRef(spec, dict, hwc, size);
    // Then: layer1..layer4 agree to float32 accuracy (a half-pixel padding shift would break this)
    ref.forEach((stage, i) => {
      expect(ours[i]!.length).toBe(stage.data.length);
      expect(maxRelError(ours[i] as Float32Array, chwToHwc(stage))).toBeLessThan(1e-4);
    });
    expect(ref[3]!.h).toBe(size / 32);
    expect(tf.memory().numTensors).toBe(before);
    backbone.dispose();
  });

  it('lists missing, mis-shaped and unexpected tensors in one E_WEIGHTS error and leaks nothing', () => {
    const dict = randomStateDict(torchvisionResNetShapes(RESNET_SPECS.resnet_tiny), 4);
    dict.delete('layer1.0.bn2.running_var');
    dict.set('layer4.0.conv2.weight', { shape: [128, 128, 1, 1], data: new Float32Array(128 * 128) });
    dict.set('projector.weight', { shape: [4], data: new Float32Array(4) });
    const model = buildResNet('resnet_tiny');
    const before = tf.memory().numTensors;
    let error: MadenetError | null = null;
    try {
      mapTorchvisionWeights('resnet_tiny', dict, model);
    } catch (err) {
      error = err as MadenetError;
    }
    expect(error).toBeInstanceOf(MadenetError);
    expect(error!.code).toBe('E_WEIGHTS');
    expect(error!.message).toContain('1 missing, 1 mis-shaped, 1 unexpected');
    expect(error!.message).toContain('Missing (1): layer1.0.bn2.running_var');
    expect(error!.message).toContain('layer4.0.conv2.weight [128,128,1,1] (expected [128,128,3,3])');
    expect(error!.message).toContain('Unexpected (1): projector.weight');
    expect(error!.suggestions.join(' ')).toMatch(/--arch/);
    expect(tf.memory().numTensors).toBe(before);
    model.dispose();
  });

  it('rejects a ResNet-50 file offered as ResNet-18 by listing the differences', () => {
    const dict = randomStateDict(torchvisionResNetShapes({ ...RESNET_SPECS.resnet_tiny, block: 'bottleneck' }), 5);
    const model = buildResNet('resnet_tiny');
    expect(() => mapTorchvisionWeights('resnet_tiny', dict, model)).toThrow(/mis-shaped.*Unexpected \(\d+\): layer1\.0\.conv3\.weight/s);
    model.dispose();
  });
});

describe('toOurLayout', () => {
  it('maps a depthwise weight [C*M,1,kh,kw] to [kh,kw,C,M] and reproduces a grouped conv', () => {
    // Given: C=2 channels, multiplier M=2, 3x3; torch out channel o = c*M + m
    const torch = Float32Array.from({ length: 4 * 9 }, (_, i) => i - 10);
    const plan = { ours: 'dw/depthwise_kernel', torch: 'dw.weight', shape: [3, 3, 2, 2], torchShape: [4, 1, 3, 3], layout: 'depthwise' as const };
    const before = tf.memory().numTensors;
    const ours = toOurLayout(plan, torch);
    const x = tf.tensor4d(Float32Array.from({ length: 25 * 2 }, (_, i) => Math.sin(i)), [1, 5, 5, 2]);
    const y = tf.tidy(() => tf.depthwiseConv2d(x, ours as tf.Tensor4D, 1, 'valid').dataSync()); // [1,3,3,4]
    const xd = x.dataSync();
    // Then: the centre output of torch channel o (= c*2+m) equals sum_k w[o,0,ky,kx] x[c, 1+ky, 1+kx]
    for (let o = 0; o < 4; o++) {
      const c = Math.floor(o / 2);
      let ref = 0;
      for (let ky = 0; ky < 3; ky++) for (let kx = 0; kx < 3; kx++) ref += (torch[o * 9 + ky * 3 + kx] as number) * (xd[((1 + ky) * 5 + 1 + kx) * 2 + c] as number);
      expect(y[(1 * 3 + 1) * 4 + o]).toBeCloseTo(ref, 4);
    }
    tf.dispose([ours, x]);
    expect(tf.memory().numTensors).toBe(before);
  });
});
