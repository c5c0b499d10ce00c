import * as tf from '@tensorflow/tfjs';
import { countTrainableParams } from '../../../src/models/components/conv.js';
import {
  buildHrnetEncoder,
  HRNET_TINY as TINY,
  HRNET_W18,
  HRNET_W32,
  hrnetInputDivisor,
  hrnetOutputChannels,
} from '../../../src/models/components/hrnet.js';

describe('components/hrnet', () => {
  it('builds the tiny encoder to 1/4 resolution with the hand-counted parameters and official layer names', () => {
    const before = tf.memory().numTensors;
    const m = buildHrnetEncoder(TINY, 32, 0);
    expect(m.outputs[0]!.shape).toEqual([null, 8, 8, 4 + 8 + 16]);
    // Hand count (conv weights + BN gamma/beta):
    //   stem: 3*8*9 + 16 + 8*8*9 + 16 = 824
    //   layer1.0 bottleneck 8->4->4->16 + downsample 8->16: 32+8 + 144+8 + 64+32 + 128+32 = 448
    //   transition1: 16->4 (576+8) and 16->8 stride 2 (1152+16) = 1752
    //   stage2: blocks 304 (w4) + 1184 (w8); fuse 8->4 1x1 (32+8), 4->8 3x3/2 (288+16) = 1832
    //   transition2: 8->16 3x3/2 = 1152+32 = 1184
    //   stage3: blocks 304 + 1184 + 4672 (w16); fuse i0: 40+72, i1: 304+144, i2: 152+608+1184 = 8664
    expect(countTrainableParams(m)).toBe(824 + 448 + 1752 + 1832 + 1184 + 8664);
    const names = m.layers.map((l) => l.name);
    for (const n of [
      'conv1',
      'bn2',
      'layer1.0.conv3',
      'layer1.0.downsample.0',
      'transition1.0.0',
      'transition1.1.0.0',
      'transition2.2.0.1',
      'stage2.0.branches.1.0.conv2',
      'stage3.0.fuse_layers.0.2.0',
      'stage3.0.fuse_layers.2.0.1.0',
      'final.concat',
    ]) {
      expect(names).toContain(n);
    }
    expect(new Set(names).size).toBe(names.length);
    m.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('runs a forward pass on real tensors with finite outputs', () => {
    const m = buildHrnetEncoder(TINY, 32, 1);
    const before = tf.memory().numTensors;
    const y = tf.tidy(() => m.predict(tf.randomUniform([2, 32, 32, 3], 0, 1, 'float32', 3)) as tf.Tensor);
    expect(y.shape).toEqual([2, 8, 8, 28]);
    expect(tf.tidy(() => y.isFinite().all().dataSync()[0])).toBe(1);
    tf.dispose(y);
    expect(tf.memory().numTensors).toBe(before);
    m.dispose();
  });

  it('HRNet-W32/W18 have 480/270 output channels; W32 matches the published 28.5M of HRNet-W32 (pose)', () => {
    // Built symbolically at 64 px: parameter counts do not depend on the input size.
    const w32 = buildHrnetEncoder(HRNET_W32, 64);
    expect(hrnetOutputChannels(HRNET_W32)).toBe(480);
    expect(w32.outputs[0]!.shape).toEqual([null, 16, 16, 480]);
    const n = countTrainableParams(w32);
    // The pose network drops the last module's fusion into branches 1..3 (43,392 + 153,408 + 573,184 parameters,
    // counted from the fuse layers' shapes) and adds a 1x1 conv 32 -> 17 joints (561): Sun et al. 2019 report 28.5M.
    const pose = n - (43392 + 153408 + 573184) + 561;
    expect(Math.abs(pose - 28.5e6)).toBeLessThan(0.05e6);
    expect(n).toBe(29305536);
    w32.dispose();
    const w18 = buildHrnetEncoder(HRNET_W18, 64);
    expect(w18.outputs[0]!.shape).toEqual([null, 16, 16, 270]);
    w18.dispose();
    expect(hrnetInputDivisor(HRNET_W32)).toBe(32);
  });

  it('is deterministic for a seed and differs across seeds', () => {
    const a = buildHrnetEncoder(TINY, 32, 5);
    const b = buildHrnetEncoder(TINY, 32, 5);
    const c = buildHrnetEncoder(TINY, 32, 6);
    const k = (m: tf.LayersModel) => Array.from(m.getLayer('stage3.0.branches.2.0.conv1').getWeights()[0]!.dataSync());
    expect(k(a)).toEqual(k(b));
    expect(k(a)).not.toEqual(k(c));
    [a, b, c].forEach((m) => m.dispose());
  });
});
