import * as tf from '@tensorflow/tfjs';
import { countTrainableParams } from '../../../src/models/components/conv.js';
import {
  buildEfficientNetBackbone,
  EFFICIENTNET_SCALING,
  EFFICIENTNET_VARIANTS,
  efficientNetBlocks,
  efficientNetHeadChannels,
  efficientNetSpec,
  makeDivisible,
} from '../../../src/models/components/efficientnet.js';

// torchvision's `num_params` of efficientnet_b0..b4 (1000-class classifier included).
const TORCHVISION_PARAMS = { b0: 5288548, b1: 7794184, b2: 9109994, b3: 12233232, b4: 19341616 };

describe('components/efficientnet', () => {
  it('rounds channels like timm/torchvision make_divisible', () => {
    expect(makeDivisible(32 * 1.4)).toBe(48);
    expect(makeDivisible(16 * 1.1)).toBe(16);
    expect(makeDivisible(24 * 1.1)).toBe(24);
    expect(makeDivisible(40 * 1.2)).toBe(48);
    expect(makeDivisible(1280 * 1.4)).toBe(1792);
    expect(makeDivisible(4)).toBe(8);
  });

  it('scales B0..B4 exactly: resolutions, block counts and torchvision parameter counts', () => {
    expect(EFFICIENTNET_VARIANTS.map((v) => EFFICIENTNET_SCALING[v].resolution)).toEqual([224, 240, 260, 300, 380]);
    const perStage = (v: (typeof EFFICIENTNET_VARIANTS)[number]) => {
      const counts = new Array<number>(7).fill(0);
      for (const b of efficientNetBlocks(efficientNetSpec(v))) counts[Number(b.name.split('.')[1])]! += 1;
      return counts;
    };
    expect(perStage('b0')).toEqual([1, 2, 2, 3, 3, 4, 1]);
    expect(perStage('b4')).toEqual([2, 4, 4, 6, 6, 8, 2]);
    for (const v of EFFICIENTNET_VARIANTS) {
      // Symbolic build at 64 px (parameters do not depend on size); add the 1000-class linear head by hand.
      const m = buildEfficientNetBackbone(v, { imageSize: 64 });
      const head = efficientNetHeadChannels(efficientNetSpec(v));
      expect(m.outputs[0]!.shape).toEqual([null, 2, 2, head]);
      expect(countTrainableParams(m) + head * 1000 + 1000).toBe(TORCHVISION_PARAMS[v]);
      m.dispose();
    }
  });

  it('uses timm parameter paths and SE widths of a quarter of the block input', () => {
    const m = buildEfficientNetBackbone('b0', { imageSize: 32 });
    const shape = (name: string) => m.getLayer(name).getWeights().map((w) => w.shape);
    expect(shape('conv_stem')).toEqual([[3, 3, 3, 32]]);
    expect(shape('blocks.0.0.conv_dw')).toEqual([[3, 3, 32, 1]]);
    expect(shape('blocks.0.0.se.conv_reduce')).toEqual([[1, 1, 32, 8], [8]]);
    expect(shape('blocks.0.0.conv_pw')).toEqual([[1, 1, 32, 16]]);
    expect(shape('blocks.1.0.conv_pw')).toEqual([[1, 1, 16, 96]]);
    expect(shape('blocks.1.0.se.conv_reduce')).toEqual([[1, 1, 96, 4], [4]]);
    expect(shape('blocks.1.0.se.conv_expand')).toEqual([[1, 1, 4, 96], [96]]);
    expect(shape('blocks.2.0.conv_dw')).toEqual([[5, 5, 144, 1]]);
    expect(shape('blocks.6.0.conv_pwl')).toEqual([[1, 1, 1152, 320]]);
    expect(shape('blocks.6.0.bn3')).toEqual([[320], [320], [320], [320]]);
    expect(shape('conv_head')).toEqual([[1, 1, 320, 1280]]);
    // Residual only where stride 1 and channels equal: blocks.1.1 has one, blocks.1.0 does not.
    const names = m.layers.map((l) => l.name);
    expect(names).toContain('blocks.1.1.add');
    expect(names).not.toContain('blocks.1.0.add');
    m.dispose();
  });

  it('runs the backbone on [0,1] images with ImageNet normalisation inside', () => {
    const m = buildEfficientNetBackbone({ widthMult: 0.25, depthMult: 0.25, dropPathRate: 0 }, { imageSize: 32 });
    expect(m.layers[1]!.name).toBe('normalize');
    const before = tf.memory().numTensors;
    const y = tf.tidy(() => m.predict(tf.randomUniform([2, 32, 32, 3], 0, 1, 'float32', 1)) as tf.Tensor);
    expect(y.shape).toEqual([2, 1, 1, 320]);
    expect(tf.tidy(() => y.isFinite().all().dataSync()[0])).toBe(1);
    y.dispose();
    expect(tf.memory().numTensors).toBe(before);
    m.dispose();
  });
});
